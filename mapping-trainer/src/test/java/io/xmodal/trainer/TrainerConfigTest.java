package io.xmodal.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.learned.LearnedOptions;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.ReferenceCaps;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainerConfigTest {

  static TrainerConfig config(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Map.of("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"));
    env.putAll(extra);
    ConfigSource source = ConfigSource.of(env);
    return TrainerConfig.from(source, PlatformConfig.from(source));
  }

  static LearnedOptions gmlp(TrainerConfig c) {
    return c.learned().stream().filter(o -> o.kind() == Method.GMLP).findFirst().orElseThrow();
  }

  @Test
  void shouldTrainTheDefaultEnsembleOfGmlpBlocksUnlessToldHowMany() {
    assertThat(gmlp(config(Map.of())).members()).isEqualTo(LearnedOptions.defaults(Method.GMLP).members());
    assertThat(gmlp(config(Map.of("XMODAL_TRAINER_GMLP_MEMBERS", "1"))).members()).isEqualTo(1);
    assertThat(gmlp(config(Map.of("XMODAL_TRAINER_GMLP_MEMBERS", "5"))).members()).isEqualTo(5);
    // the contrastive map has one set of projections and nothing to average
    assertThat(config(Map.of("XMODAL_TRAINER_GMLP_MEMBERS", "5")).learned())
        .filteredOn(o -> o.kind() == Method.CONTRASTIVE).extracting(LearnedOptions::members).containsExactly(1);
    assertThatThrownBy(() -> config(Map.of("XMODAL_TRAINER_GMLP_MEMBERS", "0")))
        .hasMessageContaining("XMODAL_TRAINER_GMLP_MEMBERS");
  }

  @Test
  void shouldCapTheHubnessReferencesAtTheDefaultsUnlessToldAndRefuseTooFew() {
    assertThat(config(Map.of()).references()).isEqualTo(new ReferenceCaps(16384, 1024));
    assertThat(config(Map.of("XMODAL_TRAINER_REFERENCE_IMAGES", "6144")).references())
        .isEqualTo(new ReferenceCaps(16384, 6144));
    assertThatThrownBy(() -> config(Map.of("XMODAL_TRAINER_REFERENCE_CAPTIONS", "10")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("XMODAL_TRAINER_REFERENCE_CAPTIONS and XMODAL_TRAINER_REFERENCE_IMAGES must be at "
            + "least 64").hasMessageContaining("got 10 and 1024");
  }

  @Test
  void shouldRefuseReferenceCapsNoVersionCouldHold() {
    // 24 MiB less 64 KiB by default: 400,000 references of 68 bytes (k = 64) do not fit, 100,000 do
    assertThat(config(Map.of("XMODAL_TRAINER_REFERENCE_CAPTIONS", "100000")).references().captions())
        .isEqualTo(100_000);
    assertThatThrownBy(() -> config(Map.of("XMODAL_TRAINER_REFERENCE_CAPTIONS", "400000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("XMODAL_TRAINER_REFERENCE_CAPTIONS (400000)")
        .hasMessageContaining("raise XMODAL_MAX_MESSAGE_BYTES");
    // the same caps fit a larger record limit
    assertThat(config(Map.of("XMODAL_TRAINER_REFERENCE_CAPTIONS", "400000",
        "XMODAL_MAX_MESSAGE_BYTES", String.valueOf(64 * 1024 * 1024))).references().captions()).isEqualTo(400_000);
  }
}
