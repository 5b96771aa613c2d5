package io.xmodal.encoders.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.encoders.onnx.Protobuf;
import io.xmodal.encoders.onnx.Protobuf.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FloatConvolutionsTest {

  static final Path MODELS = ImageEncoderTest.SHARED.resolve("models");

  @Test
  void shouldWriteBackAnUnchangedMessageByteForByte() throws Exception {
    byte[] model = Files.readAllBytes(MODELS.resolve("mobilenetv2-12-int8-features.onnx"));
    assertThat(Protobuf.write(Protobuf.read(model))).isEqualTo(model);
  }

  @Test
  void shouldReplaceEveryQuantizedConvolutionOfMobileNetByDequantizeFloatConvQuantize() throws Exception {
    byte[] model = Files.readAllBytes(MODELS.resolve("mobilenetv2-12-int8-features.onnx"));
    Map<String, Integer> before = ops(model);

    FloatConvolutions.Result r = FloatConvolutions.rewrite(model).orElseThrow();

    Map<String, Integer> after = ops(r.model());
    assertThat(r.convolutions()).isEqualTo(before.get("QLinearConv")).isEqualTo(52);
    assertThat(r.matMuls()).isEqualTo(before.get("QLinearMatMul")).isEqualTo(1);
    assertThat(after).doesNotContainKeys("QLinearConv", "QLinearMatMul");
    assertThat(after.get("Conv")).isEqualTo(52);
    assertThat(after.get("MatMul")).isEqualTo(1);
    assertThat(after.get("DequantizeLinear")).isEqualTo(before.get("DequantizeLinear") + 53);
    assertThat(after.get("QuantizeLinear")).isEqualTo(before.get("QuantizeLinear") + 53);
    // the elementwise quantized operators, which do not saturate, stay
    assertThat(after.get("QLinearAdd")).isEqualTo(before.get("QLinearAdd"));
    // no int8 weight is left behind unread: every initializer is read by a node
    List<Field> graph = graph(r.model());
    Set<String> read = graph.stream().filter(f -> f.number() == 1)
        .flatMap(f -> f.message().stream().filter(g -> g.number() == 1).map(Field::string))
        .collect(Collectors.toSet());
    assertThat(graph.stream().filter(f -> f.number() == 5)
        .map(f -> f.message().stream().filter(g -> g.number() == 8).findFirst().orElseThrow().string()))
        .allMatch(read::contains);
  }

  @Test
  void shouldLeaveAModelWithoutOperatorFormConvolutionsAlone() throws Exception {
    // the ResNet-50 is in QDQ form: DequantizeLinear → Conv → QuantizeLinear, nothing to rewrite
    assertThat(FloatConvolutions.rewrite(Files.readAllBytes(MODELS.resolve("resnet50-int8-features.onnx"))))
        .isEmpty();
  }

  @Test
  void shouldRefuseBytesThatAreNotAModel() {
    assertThatThrownBy(() -> FloatConvolutions.rewrite(new byte[] {0x0a, 0x7f, 0x01}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a protobuf message");
  }

  @Test
  void shouldRunInFloatOnlyOnX86WithoutVnni() {
    assertThat(Int8Kernels.saturatingCpu("amd64", Set.of("sse4_2", "avx2", "fma"))).isTrue();
    assertThat(Int8Kernels.saturatingCpu("amd64", Set.of("avx2", "avx512f", "avx512_vnni"))).isFalse();
    assertThat(Int8Kernels.saturatingCpu("x86_64", Set.of("avx2", "avx_vnni"))).isFalse();
    assertThat(Int8Kernels.saturatingCpu("aarch64", Set.of("asimd", "asimddp"))).isFalse();
    assertThat(Int8Kernels.saturatingCpu("amd64", Set.of())).isFalse();
  }

  static List<Field> graph(byte[] model) {
    return Protobuf.read(model).stream().filter(f -> f.number() == 7).findFirst().orElseThrow().message();
  }

  static Map<String, Integer> ops(byte[] model) {
    Map<String, Integer> out = new TreeMap<>();
    for (Field f : graph(model)) {
      if (f.number() == 1) {
        f.message().stream().filter(g -> g.number() == 4).findFirst()
            .ifPresent(op -> out.merge(op.string(), 1, Integer::sum));
      }
    }
    return out;
  }
}
