package io.xmodal.encode;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.device.DeviceChoice;
import io.xmodal.encoders.Combination;
import io.xmodal.encoders.CompositeEncoder;
import io.xmodal.encoders.Encoder;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.image.ImageDecoder;
import io.xmodal.encoders.image.ImageEncoder;
import io.xmodal.encoders.image.ImageModelSpec;
import io.xmodal.encoders.image.ImageModelSpec.View;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * encode-stream's image preparation must give the vectors the offline evaluation gives (it encodes the decoded image
 * and lets each block resize): the decode pool resizes ahead only when every block squashes to the same size.
 */
class ImageModalityTest {

  static final String IMAGE = "2992614450_b5a6692239.jpg";

  static Encoder<BufferedImage> composite(View... views) {
    ImageModelSpec mobileNet = ImageModelSpec.mobileNetV2Features(EncodeTopologyTest.SHARED.resolve("models"));
    List<ImageEncoder> blocks = java.util.Arrays.stream(views)
        .map(v -> ImageEncoder.load(mobileNet.withView(v), DeviceChoice.CPU, 1)).toList();
    return blocks.size() == 1 ? blocks.get(0) : new CompositeEncoder<>(blocks, Combination.L2_CONCAT_L2);
  }

  @Test
  void shouldResizeAheadOnlyToASizeEveryBlockSquashesTo() {
    try (Encoder<BufferedImage> same = composite(View.SINGLE, View.FLIP);
         Encoder<BufferedImage> mixed = composite(View.FLIP, View.CROPS);
         Encoder<BufferedImage> crops = composite(View.CROPS)) {
      assertThat(EncodeModels.resizeOf(same)).contains(new EncodeModels.Size(224, 224));
      assertThat(EncodeModels.resizeOf(mixed)).isEmpty();
      assertThat(EncodeModels.resizeOf(crops)).contains(new EncodeModels.Size(288, 288));
    }
  }

  @Test
  void shouldEncodeAPreparedImageAsTheOfflineEvaluationEncodesTheDecodedOne() throws Exception {
    // a photo of a producer's size (the dataset's copies are 224 × 224 already, where resizing ahead changes nothing)
    BufferedImage photo = ImageDecoder.resize(ImageDecoder.decodeRgb(EncodeTopologyTest.jpeg(IMAGE)), 500, 375);
    java.io.ByteArrayOutputStream jpeg = new java.io.ByteArrayOutputStream();
    assertThat(javax.imageio.ImageIO.write(photo, "jpg", jpeg)).isTrue();
    byte[] bytes = jpeg.toByteArray();
    BufferedImage decoded = ImageDecoder.decodeRgb(bytes);
    assertThat(decoded.getWidth()).isEqualTo(500);
    for (View[] views : List.of(new View[] {View.FLIP, View.CROPS}, new View[] {View.SINGLE, View.FLIP})) {
      try (Encoder<BufferedImage> encoder = composite(views);
           EncoderSession<BufferedImage> session = encoder.newSession()) {
        Optional<EncodeModels.Size> resize = EncodeModels.resizeOf(encoder);
        ImageModality modality = new ImageModality(EncodeModels.Model.of(encoder),
            resize);
        float[] streamed = session.encode(List.of(modality.prepare(EncodeTopologyTest.image(IMAGE, bytes))))[0];
        float[] offline = session.encode(List.of(decoded))[0];

        assertThat(streamed).as("views %s", List.of(views)).containsExactly(offline);
      }
    }
    // resizing ahead to the flip view's 224 × 224 would feed the crops an upscaled image: other vectors
    try (Encoder<BufferedImage> encoder = composite(View.FLIP, View.CROPS);
         EncoderSession<BufferedImage> session = encoder.newSession()) {
      float[] early = session.encode(List.of(ImageDecoder.resize(decoded, 224, 224)))[0];
      assertThat(early).isNotEqualTo(session.encode(List.of(decoded))[0]);
    }
  }
}
