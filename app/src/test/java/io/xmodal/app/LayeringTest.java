package io.xmodal.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The module layering of docs/architecture.md (Layering), checked on the compiled classes of every module (app's
 * test classpath holds them all) against the poms that declare them: libraries know nothing of Kafka, no deployable
 * uses another, arrows point down, and a module uses only what its pom declares. Which package belongs to which
 * module is read from each module's {@code src/main/java}; what each module declares, from its {@code pom.xml}.
 */
class LayeringTest {

  static final List<String> LIBRARIES_WITHOUT_KAFKA = List.of("schemas", "device", "mapping", "mapping-codec",
      "encoders", "learned");
  static final List<String> DEPLOYABLES = List.of("ingest", "encode-stream", "mapping-trainer", "query-stream");

  static Path root;
  /** Module directory → the packages of its main sources. */
  static Map<String, Set<String>> packages;
  /** Module directory → the xmodal modules its pom declares (compile or runtime scope, not test jars). */
  static Map<String, Set<String>> declared;
  static JavaClasses classes;

  @BeforeAll
  static void readModulesAndClasses() throws Exception {
    root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();
    Map<String, String> moduleOfArtifact = new LinkedHashMap<>();
    packages = new LinkedHashMap<>();
    declared = new LinkedHashMap<>();
    for (String module : children(pom(root.resolve("pom.xml")).getDocumentElement(), "modules", "module")) {
      Path dir = root.resolve(module);
      moduleOfArtifact.put(text(pom(dir.resolve("pom.xml")).getDocumentElement(), "artifactId"), module);
      packages.put(module, sourcePackages(dir.resolve("src/main/java")));
    }
    for (String module : packages.keySet()) {
      Set<String> uses = new TreeSet<>();
      Element project = pom(root.resolve(module).resolve("pom.xml")).getDocumentElement();
      for (Element dependency : elements(project, "dependencies", "dependency")) {
        String artifact = text(dependency, "artifactId");
        boolean testOnly = "test".equals(text(dependency, "scope")) || "test-jar".equals(text(dependency, "type"));
        if ("io.xmodal".equals(text(dependency, "groupId")) && !testOnly) {
          uses.add(moduleOfArtifact.get(artifact));
        }
      }
      declared.put(module, uses);
    }
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(location -> !location.contains("-tests.jar"))
        .importPackages("io.xmodal");
  }

  @Test
  void shouldFindEveryModulesClassesAndNoPackageInTwoModules() {
    Map<String, String> owner = new LinkedHashMap<>();
    List<String> shared = new ArrayList<>();
    packages.forEach((module, pkgs) -> pkgs.forEach(p -> {
      String before = owner.put(p, module);
      if (before != null) {
        shared.add(p + " in " + before + " and " + module);
      }
    }));
    assertThat(shared).as("a package split across modules").isEmpty();
    for (String module : List.of("schemas", "device", "mapping", "mapping-codec", "encoders", "learned", "platform",
        "embedded", "ingest", "encode-stream", "mapping-trainer", "query-stream", "client", "tools", "app")) {
      assertThat(classes.stream().filter(c -> packages.get(module).contains(c.getPackageName())))
          .as("classes of " + module).isNotEmpty();
    }
  }

  @Test
  void librariesShouldKnowNothingOfKafka() {
    String[] libraries = LIBRARIES_WITHOUT_KAFKA.stream().flatMap(m -> packages.get(m).stream()).toArray(String[]::new);
    noClasses().that().resideInAnyPackage(libraries)
        .should().dependOnClassesThat().resideInAPackage("org.apache.kafka..")
        .because("the encoders, the maths, the learned maps, the codec, the device choice and the schemas are "
            + "libraries any deployable or tool can use without a broker (docs/architecture.md, Layering)")
        .check(classes);
  }

  @Test
  void platformAndTheEmbeddedRuntimeShouldKeepKafkaStreamsOutOfTheConfigSerdesAndBroker() {
    noClasses().that().resideInAPackage("io.xmodal.platform.config")
        .should().dependOnClassesThat().resideInAPackage("org.apache.kafka..")
        .because("the typed config passes KAFKA_* settings through as strings")
        .check(classes);
    noClasses().that().resideInAnyPackage("io.xmodal.embedded", "io.xmodal.platform.serde")
        .should().dependOnClassesThat().resideInAPackage("org.apache.kafka.streams..")
        .because("the embedded broker and the serdes serve every client, not only Kafka Streams")
        .check(classes);
  }

  @Test
  void noDeployableShouldUseAnotherOrTheLauncher() {
    for (String deployable : DEPLOYABLES) {
      List<String> others = new ArrayList<>();
      DEPLOYABLES.stream().filter(d -> !d.equals(deployable)).forEach(d -> others.addAll(packages.get(d)));
      others.addAll(packages.get("app"));
      others.addAll(packages.get("tools"));
      others.addAll(packages.get("client"));
      noClasses().that().resideInAnyPackage(packages.get(deployable).toArray(String[]::new))
          .should().dependOnClassesThat().resideInAnyPackage(others.toArray(String[]::new))
          .because("what two deployables share moves down a floor into a library "
              + "(docs/architecture.md, Layering)")
          .check(classes);
    }
  }

  @Test
  void librariesAndPlatformShouldNotUseADeployableOrTheLauncher() {
    List<String> upper = new ArrayList<>(packages.get("app"));
    upper.addAll(packages.get("tools"));
    upper.addAll(packages.get("client"));
    upper.addAll(packages.get("embedded"));
    DEPLOYABLES.forEach(d -> upper.addAll(packages.get(d)));
    List<String> lower = new ArrayList<>(packages.get("platform"));
    LIBRARIES_WITHOUT_KAFKA.forEach(m -> lower.addAll(packages.get(m)));
    noClasses().that().resideInAnyPackage(lower.toArray(String[]::new))
        .should().dependOnClassesThat().resideInAnyPackage(upper.toArray(String[]::new))
        .because("arrows only point down: app → embedded and deployables → platform → libraries and schemas")
        .check(classes);
  }

  @Test
  void deployablesShouldNotKnowHowTheBrokerWasStarted() {
    String[] deployables = DEPLOYABLES.stream().flatMap(m -> packages.get(m).stream()).toArray(String[]::new);
    noClasses().that().resideInAnyPackage(deployables)
        .should().dependOnClassesThat().resideInAPackage("io.xmodal.embedded..")
        .because("a topology knows nothing of how the broker was started (docs/architecture.md, Layering)")
        .check(classes);
  }

  @Test
  void theClientShouldNeedNeitherABrokerNorModels() {
    // a producer's or consumer's library: Kafka clients, the topic catalogue and the schemas, nothing that runs a
    // broker, a model or a topology's maths
    List<String> heavy = new ArrayList<>();
    for (String module : List.of("embedded", "encoders", "mapping", "mapping-codec", "learned", "device", "ingest",
        "encode-stream", "mapping-trainer", "query-stream", "tools", "app")) {
      heavy.addAll(packages.get(module));
    }
    noClasses().that().resideInAnyPackage(packages.get("client").toArray(String[]::new))
        .should().dependOnClassesThat().resideInAnyPackage(heavy.toArray(String[]::new))
        .because("producers and consumers use the client as a library (client/README.md)")
        .check(classes);
    assertThat(declared.get("client")).as("what the client's pom declares").containsOnly("platform", "schemas");
  }

  @Test
  void theToolsShouldNotUseTheCli() {
    noClasses().that().resideInAnyPackage(packages.get("tools").toArray(String[]::new))
        .should().dependOnClassesThat().resideInAnyPackage(packages.get("app").toArray(String[]::new))
        .because("the CLI parses and dispatches to the tools, not the other way (docs/architecture.md, Layering)")
        .check(classes);
  }

  @Test
  void onlyTheLauncherShouldShipTheEmbeddedRuntime() {
    // the broker, its Scala runtime and the registry launcher stay off every deployable's classpath: only the CLI and
    // its tools declare the embedded runtime; other modules may use it in their tests only
    List<String> shipping = new ArrayList<>();
    declared.forEach((module, uses) -> {
      if (!module.equals("app") && !module.equals("tools") && uses.contains("embedded")) {
        shipping.add(module);
      }
    });
    assertThat(shipping).as("modules that declare xmodal-embedded outside the test scope").isEmpty();
    List<String> others = new ArrayList<>();
    packages.forEach((module, pkgs) -> {
      if (!module.equals("app") && !module.equals("tools") && !module.equals("embedded")) {
        others.addAll(pkgs);
      }
    });
    noClasses().that().resideInAnyPackage(others.toArray(String[]::new))
        .should().dependOnClassesThat().resideInAPackage("io.xmodal.embedded..")
        .because("the embedded default is for the CLI, its tools and the tests (docs/architecture.md, Layering)")
        .check(classes);
  }

  @Test
  void everyModuleShouldDeclareEachModuleItUses() {
    Map<String, String> moduleOfPackage = new LinkedHashMap<>();
    packages.forEach((module, pkgs) -> pkgs.forEach(p -> moduleOfPackage.put(p, module)));
    Set<String> undeclared = new TreeSet<>();
    for (JavaClass c : classes) {
      String from = moduleOfPackage.get(c.getPackageName());
      if (from == null) {
        continue;
      }
      for (Dependency d : c.getDirectDependenciesFromSelf()) {
        String to = moduleOfPackage.get(d.getTargetClass().getBaseComponentType().getPackageName());
        if (to != null && !to.equals(from) && !declared.get(from).contains(to)) {
          undeclared.add(from + " uses " + to + " without declaring it, e.g. " + c.getName() + " -> "
              + d.getTargetClass().getBaseComponentType().getName());
        }
      }
    }
    // one line per pair of modules is enough to act on
    Map<String, String> firstPerPair = new LinkedHashMap<>();
    undeclared.forEach(line -> firstPerPair.putIfAbsent(line.substring(0, line.indexOf(" without")), line));
    assertThat(firstPerPair.values()).as("modules used only transitively (declare them in the pom)").isEmpty();
  }

  private static Set<String> sourcePackages(Path sources) {
    Set<String> out = new TreeSet<>();
    if (!Files.isDirectory(sources)) {
      return out;
    }
    try (Stream<Path> files = Files.walk(sources)) {
      files.filter(f -> f.toString().endsWith(".java"))
          .forEach(f -> out.add(sources.relativize(f.getParent()).toString().replace('/', '.')));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (sources.getParent().resolve("avro").toFile().isDirectory()) {
      // the schemas module's generated classes share the package of its hand-written ones (io.xmodal.schemas)
      assertThat(out).contains("io.xmodal.schemas");
    }
    return out;
  }

  private static Document pom(Path file) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(file.toFile());
  }

  /** The texts of {@code <child>} elements under the direct {@code <parent>} element of {@code e}. */
  private static List<String> children(Element e, String parent, String child) {
    return elements(e, parent, child).stream().map(Node::getTextContent).map(String::trim).toList();
  }

  private static List<Element> elements(Element e, String parent, String child) {
    List<Element> out = new ArrayList<>();
    for (Element p : direct(e, parent)) {
      out.addAll(direct(p, child));
    }
    return out;
  }

  private static List<Element> direct(Element e, String name) {
    List<Element> out = new ArrayList<>();
    NodeList nodes = e.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      if (nodes.item(i) instanceof Element c && c.getTagName().equals(name)) {
        out.add(c);
      }
    }
    return out;
  }

  private static String text(Element e, String name) {
    List<Element> found = direct(e, name);
    return found.isEmpty() ? null : found.get(0).getTextContent().trim();
  }
}
