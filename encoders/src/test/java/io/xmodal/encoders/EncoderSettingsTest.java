package io.xmodal.encoders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.encoders.image.ImageModelSpec;
import io.xmodal.encoders.text.TextModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EncoderSettingsTest {

  static EncoderSettings read(Map<String, String> env) {
    return EncoderSettings.from(k -> Optional.ofNullable(env.get(k)), Path.of("shared"), Path.of("work"));
  }

  @Test
  void shouldBeEqualWhenReadTwiceFromTheSameSettings() {
    // services of one JVM share the models by these settings: equal settings must be equal values
    Map<String, String> env = Map.of("XMODAL_IMAGE_MODEL", "m.onnx", "XMODAL_IMAGE_MEAN", "0.5,0.5,0.5");
    EncoderSettings a = read(env);
    EncoderSettings b = read(env);

    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.images()).isEqualTo(b.images());
    assertThat(a.images().get(0).mean()).containsExactly(0.5f, 0.5f, 0.5f);
  }

  @Test
  void shouldDefaultToTheCompositeOfResNetFlippedAndWindowedAndFlipAveragedMobileNetAndOfMiniLmBgeAndE5() {
    EncoderSettings s = read(Map.of());

    assertThat(s.textModels()).containsExactly(TextModel.MINILM_L6_V2, TextModel.BGE_SMALL_EN_V15,
        TextModel.E5_SMALL_V2);
    assertThat(s.images()).extracting(ImageModelSpec::identity)
        .containsExactly("resnet50-int8-features+hflip-avg", "resnet50-int8-features+win5@288",
            "mobilenetv2-12-int8-features+hflip-avg");
    assertThat(s.images().get(0).file()).isEqualTo(Path.of("shared", "models", "resnet50-int8-features.onnx"));
    assertThat(s.images().get(0).mean()).containsExactly(0f, 0f, 0f);
    assertThat(s.images().get(0).std()).containsExactly(1f, 1f, 1f);
  }

  @Test
  void shouldReadModelListsWithPerModelFlipAveraging() {
    EncoderSettings s = read(Map.of("XMODAL_TEXT_MODEL", "bge-small-en-v15-q",
        "XMODAL_IMAGE_ENCODER", "mobilenetv2:noflip, resnet50:flip"));

    assertThat(s.textModels()).containsExactly(TextModel.BGE_SMALL_EN_V15_Q);
    assertThat(s.images()).extracting(ImageModelSpec::identity)
        .containsExactly("mobilenetv2-12-int8-features", "resnet50-int8-features+hflip-avg");
    // XMODAL_IMAGE_FLIP_AVERAGE sets every named model without its own :flip/:noflip
    assertThat(read(Map.of("XMODAL_IMAGE_ENCODER", "mobilenetv2,resnet50:flip", "XMODAL_IMAGE_FLIP_AVERAGE", "false"))
        .images()).extracting(ImageModelSpec::view).containsExactly(ImageModelSpec.View.SINGLE,
            ImageModelSpec.View.FLIP);
  }

  @Test
  void shouldTakeOneModelOncePerView() {
    EncoderSettings s = read(Map.of("XMODAL_IMAGE_ENCODER", "resnet50:crops,resnet50:noflip,resnet50:flip"));

    assertThat(s.images()).extracting(ImageModelSpec::view).containsExactly(ImageModelSpec.View.CROPS,
        ImageModelSpec.View.SINGLE, ImageModelSpec.View.FLIP);
    assertThat(s.images()).extracting(ImageModelSpec::identity).doesNotHaveDuplicates();
    assertThatThrownBy(() -> read(Map.of("XMODAL_IMAGE_ENCODER", "resnet50:crops, resnet50:crops")))
        .hasMessageContaining("twice with the same view");
  }

  @Test
  void shouldRefuseUnknownRepeatedOrContradictoryModelsWithTheSettingToChange() {
    assertThatThrownBy(() -> read(Map.of("XMODAL_TEXT_MODEL", "minilm_l6_v2,gpt")))
        .hasMessageContaining("XMODAL_TEXT_MODEL").hasMessageContaining("'gpt'")
        .hasMessageContaining("bge_small_en_v15");
    assertThatThrownBy(() -> read(Map.of("XMODAL_TEXT_MODEL", "minilm_l6_v2,minilm_l6_v2")))
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> read(Map.of("XMODAL_IMAGE_ENCODER", "resnet50:mirror")))
        .hasMessageContaining("MODEL:noflip").hasMessageContaining("MODEL:crops");
    assertThatThrownBy(() -> read(Map.of("XMODAL_IMAGE_ENCODER", "resnet50,resnet50:flip")))
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> read(Map.of("XMODAL_IMAGE_ENCODER", "resnet50", "XMODAL_IMAGE_MODEL", "m.onnx")))
        .hasMessageContaining("not both");
    assertThatThrownBy(() -> read(Map.of("XMODAL_IMAGE_MEAN", "0.5,0.5,0.5")))
        .hasMessageContaining("XMODAL_IMAGE_MODEL");
  }

  @Test
  void shouldTakeOneCustomImageModelFileAsBefore() {
    EncoderSettings s = read(Map.of("XMODAL_IMAGE_MODEL", "/m/vit.onnx", "XMODAL_IMAGE_DIM", "768",
        "XMODAL_IMAGE_FLIP_AVERAGE", "false"));

    assertThat(s.images()).hasSize(1);
    assertThat(s.images().get(0).name()).isEqualTo("vit");
    assertThat(s.images().get(0).dimension()).isEqualTo(768);
    assertThat(s.images().get(0).view()).isEqualTo(ImageModelSpec.View.SINGLE);
    assertThat(List.copyOf(s.textModels())).containsExactly(TextModel.MINILM_L6_V2, TextModel.BGE_SMALL_EN_V15,
        TextModel.E5_SMALL_V2);
  }

  @Test
  void shouldTakeACustomModelsViewFromXmodalImageView() {
    EncoderSettings crops = read(Map.of("XMODAL_IMAGE_MODEL", "/m/vit.onnx", "XMODAL_IMAGE_VIEW", "crops",
        "XMODAL_IMAGE_SIZE", "224"));
    assertThat(crops.images().get(0).view()).isEqualTo(ImageModelSpec.View.CROPS);
    assertThat(crops.images().get(0).identity()).endsWith("+crop5@288");
    assertThat(read(Map.of("XMODAL_IMAGE_MODEL", "/m/vit.onnx", "XMODAL_IMAGE_VIEW", " NoFlip ")).images().get(0)
        .view()).isEqualTo(ImageModelSpec.View.SINGLE);

    assertThatThrownBy(() -> read(Map.of("XMODAL_IMAGE_MODEL", "/m/vit.onnx", "XMODAL_IMAGE_VIEW", "crop")))
        .hasMessage("XMODAL_IMAGE_VIEW must be flip, noflip, crops or windows, got 'crop'");
    EncoderSettings windows = read(Map.of("XMODAL_IMAGE_ENCODER", "resnet50:windows,resnet50:crops"));
    assertThat(windows.images()).extracting(ImageModelSpec::identity)
        .containsExactly("resnet50-int8-features+win5@288", "resnet50-int8-features+crop5@288");
    assertThatThrownBy(() -> read(Map.of("XMODAL_IMAGE_MODEL", "/m/vit.onnx", "XMODAL_IMAGE_VIEW", "crops",
        "XMODAL_IMAGE_FLIP_AVERAGE", "true"))).hasMessageContaining("not both");
    // like the other settings of a model file, it means nothing to the named models
    assertThatThrownBy(() -> read(Map.of("XMODAL_IMAGE_ENCODER", "resnet50", "XMODAL_IMAGE_VIEW", "crops")))
        .hasMessageContaining("XMODAL_IMAGE_VIEW describes a model given by XMODAL_IMAGE_MODEL");
  }
}
