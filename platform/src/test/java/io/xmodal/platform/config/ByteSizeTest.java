package io.xmodal.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ByteSizeTest {

  @Test
  void shouldReadSizesAsTheJvmWritesThem() {
    assertThat(ByteSize.parse("65536").bytes()).isEqualTo(65_536L);
    assertThat(ByteSize.parse("256k").bytes()).isEqualTo(256L << 10);
    assertThat(ByteSize.parse("512M").bytes()).isEqualTo(512L << 20);
    assertThat(ByteSize.parse(" 2g ").bytes()).isEqualTo(2L << 30);
    assertThat(ByteSize.parse("1t").bytes()).isEqualTo(1L << 40);
  }

  @Test
  void shouldWriteASizeInTheLargestExactUnit() {
    assertThat(ByteSize.parse("2048m")).hasToString("2g");
    assertThat(ByteSize.parse("1536m")).hasToString("1536m");
    assertThat(ByteSize.parse("3072")).hasToString("3k");
    assertThat(new ByteSize(65_537)).hasToString("65537");
  }

  @Test
  void shouldRefuseWhatIsNotAPositiveSize() {
    for (String bad : new String[] {"", "2 g", "2gb", "1.5g", "-1g", "0", "x", "99999999999t"}) {
      assertThatThrownBy(() -> ByteSize.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void shouldNameTheSettingWhoseSizeCannotBeRead() {
    ConfigSource source = ConfigSource.of(Map.of("XMODAL_HEAP", "2GB"));

    assertThatThrownBy(() -> source.byteSize("XMODAL_HEAP", ByteSize.parse("2g")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("XMODAL_HEAP must be a size such as 512m or 2g (k, m, g: powers of 1024), got '2GB'");
    assertThat(ConfigSource.of(Map.of()).byteSize("XMODAL_HEAP", ByteSize.parse("2g"))).isEqualTo(ByteSize.parse("2g"));
  }
}
