package io.xmodal.mapping.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.mapping.Fits;
import io.xmodal.mapping.GmlpMap;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.Int8Rows;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.MappingDirection;
import io.xmodal.schemas.MappingMethod;
import io.xmodal.schemas.MappingModel;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MappingCodecTest {

  static SufficientStats stats() {
    Random r = new Random(1);
    float[][] x = new float[200][4];
    float[][] y = new float[200][6];
    for (int i = 0; i < 200; i++) {
      for (int j = 0; j < 4; j++) {
        x[i][j] = (float) r.nextGaussian();
      }
      for (int j = 0; j < 6; j++) {
        y[i][j] = (float) (x[i][j % 4] + 0.1 * r.nextGaussian());
      }
    }
    return SufficientStats.of(x, y);
  }

  static EncoderIdentity id(String name, int dim) {
    return EncoderIdentity.newBuilder().setName(name).setVersion("v").setDimension(dim).setChecksum("abc").build();
  }

  @Test
  void shouldRoundTripAMapThroughTheEventWithoutChangingItsProjections() {
    LinearMap map = Fits.cca(stats(), 0.01).map(3, 1).withHubness(HubnessCorrection.invertedSoftmax(30));
    MappingCodec.Meta meta = new MappingCodec.Meta("default", 7, id("t", 4), id("i", 6), 200,
        Map.of("rsum", 123.0), Instant.ofEpochMilli(1000), 6L);

    MappingModel event = MappingCodec.toAvro(map, meta);
    var back = MappingCodec.fromAvro(event);

    assertThat(event.getMethod()).isEqualTo(MappingMethod.CCA);
    assertThat(event.getDirection()).isEqualTo(MappingDirection.SHARED_SPACE);
    assertThat(event.getScoring()).isEqualTo("inverted-softmax:30.0");
    assertThat(event.getParentVersion()).isEqualTo(6L);
    assertThat(back.hubness()).isEqualTo(map.hubness());
    INDArray x = Nd4j.rand(5, 4);
    assertThat(back.projectText(x).sub(map.projectText(x)).amaxNumber().doubleValue()).isLessThan(1e-5);
    INDArray y = Nd4j.rand(5, 6);
    assertThat(back.projectImages(y).sub(map.projectImages(y)).amaxNumber().doubleValue()).isLessThan(1e-5);
  }

  @Test
  void shouldCarryTheReferenceQueriesMappedAndRoundedToInt8SoTheRecordGrowsWithKNotWithTheEncoders() {
    LinearMap map = Fits.cca(stats(), 0.01).map(3, 1).withHubness(HubnessCorrection.csls(10));
    INDArray refText = Nd4j.rand(40, 4);
    INDArray refImages = Nd4j.rand(30, 6);
    MappingModel event = MappingCodec.toAvro(map, new MappingCodec.Meta("default", 2, id("t", 4), id("i", 6), 200,
        Map.of(), Instant.EPOCH, null, refText, refImages));

    MappingCodec.References refs = MappingCodec.references(event);

    assertThat(event.getPreprocessing()).extracting(t -> t.getName())
        .contains(MappingCodec.REFERENCE_TEXT_MAPPED_INT8, MappingCodec.REFERENCE_IMAGES_MAPPED_INT8)
        .doesNotContain(MappingCodec.REFERENCE_TEXT_MAPPED, MappingCodec.REFERENCE_TEXT, MappingCodec.REFERENCE_IMAGES);
    // one byte per value and a float per row
    assertThat(event.getPreprocessing().stream().filter(t -> t.getName().equals(MappingCodec.REFERENCE_TEXT_MAPPED_INT8))
        .findFirst().orElseThrow().getData().remaining()).isEqualTo(40 * 3 + 40 * 4);
    assertThat(refs.mapped()).isTrue();
    assertThat(refs.text().shape()).containsExactly(40, 3);
    assertThat(refs.images().shape()).containsExactly(30, 3);
    var back = MappingCodec.fromAvro(event);
    // exactly what the library scores a candidate with (Recall.evaluate rounds the same way), close to the floats
    assertThat(refs.mappedText(back)).isEqualTo(Int8Rows.roundTrip(map.projectText(refText)));
    assertThat(refs.mappedImages(back)).isEqualTo(Int8Rows.roundTrip(map.projectImages(refImages)));
    assertThat(refs.mappedText(back).sub(map.projectText(refText)).amaxNumber().doubleValue()).isLessThan(0.01);
    assertThat(refs.mappedImages(back).sub(map.projectImages(refImages)).amaxNumber().doubleValue()).isLessThan(0.01);

    // models written before are still read: mapped float32 references as they are, raw ones mapped by the reader
    MappingModel mappedFloats = withReferences(event, MappingCodec.REFERENCE_TEXT_MAPPED, map.projectText(refText),
        MappingCodec.REFERENCE_IMAGES_MAPPED, map.projectImages(refImages));
    assertThat(MappingCodec.references(mappedFloats).mapped()).isTrue();
    assertThat(MappingCodec.references(mappedFloats).text()).isEqualTo(map.projectText(refText));
    MappingModel raw = withReferences(event, MappingCodec.REFERENCE_TEXT, refText, MappingCodec.REFERENCE_IMAGES,
        refImages);
    assertThat(MappingCodec.references(raw).mapped()).isFalse();
    assertThat(MappingCodec.references(raw).mappedImages(back).sub(map.projectImages(refImages)).amaxNumber()
        .doubleValue()).isLessThan(1e-5);
  }

  /** {@code event} with its references replaced by float32 tensors, as versions written before carried them. */
  private static MappingModel withReferences(MappingModel event, String textName, INDArray text, String imagesName,
                                             INDArray images) {
    io.xmodal.schemas.AvroTrust.trustXmodalSchemas(); // the builder copy below instantiates generated classes
    List<io.xmodal.schemas.Tensor> pre = new java.util.ArrayList<>(
        event.getPreprocessing().stream().filter(t -> !t.getName().startsWith("reference_")).toList());
    pre.add(floatTensor(textName, text));
    pre.add(floatTensor(imagesName, images));
    return MappingModel.newBuilder(event).setPreprocessing(pre).build();
  }

  private static io.xmodal.schemas.Tensor floatTensor(String name, INDArray a) {
    float[] data = a.dup('c').data().asFloat();
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(data.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(data);
    return io.xmodal.schemas.Tensor.newBuilder().setName(name).setShape(List.of((int) a.size(0), (int) a.size(1)))
        .setData(b).build();
  }

  @Test
  void shouldLeaveOutWhatAMapDoesNotHave() {
    LinearMap t2i = Fits.leastSquares(stats(), 0.1, false, Fits.Direction.T2I);

    MappingModel event = MappingCodec.toAvro(t2i, new MappingCodec.Meta("default", 1, id("t", 4), id("i", 6), 200,
        Map.of(), Instant.EPOCH, null));

    assertThat(event.getDirection()).isEqualTo(MappingDirection.TEXT_TO_IMAGE);
    assertThat(event.getPreprocessing()).isEmpty();
    assertThat(event.getWeights()).extracting(t -> t.getName()).containsExactly(MappingCodec.TEXT_PROJECTION);
    assertThat(((LinearMap) MappingCodec.fromAvro(event)).b()).isNull();
  }

  @Test
  void shouldRoundTripAGmlpMapWithItsBlock() {
    LinearMap start = Fits.cca(stats(), 0.01).map(3, 1);
    GmlpMap map = new GmlpMap(new io.xmodal.mapping.Variant.Opaque("text-gmlp h=5"), start.muX(), start.muY(), start.a(), start.b(),
        GmlpMap.Block.random(3, 5, 0.5, new Random(3)), HubnessCorrection.csls(10));

    MappingModel event = MappingCodec.toAvro(map, new MappingCodec.Meta("default", 2, id("t", 4), id("i", 6), 200,
        Map.of(), Instant.EPOCH, 1L));
    var back = MappingCodec.fromAvro(event);

    assertThat(event.getMethod()).isEqualTo(MappingMethod.GMLP);
    assertThat(back).isInstanceOf(GmlpMap.class);
    assertThat(back.hubness()).isEqualTo(map.hubness());
    INDArray x = Nd4j.rand(7, 4);
    INDArray expected = map.projectText(x);
    // the block is not the identity: serving it must differ from the linear start
    assertThat(expected.sub(start.projectText(x)).amaxNumber().doubleValue()).isGreaterThan(1e-2);
    assertThat(back.projectText(x).sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);
    INDArray y = Nd4j.rand(7, 6);
    assertThat(back.projectImages(y).sub(map.projectImages(y)).amaxNumber().doubleValue()).isLessThan(1e-5);
  }

  @Test
  void shouldRoundTripAnEnsembleOfBlocksAndServeTheirMeanResidual() {
    LinearMap start = Fits.cca(stats(), 0.01).map(3, 1);
    Random r = new Random(5);
    List<GmlpMap.Block> blocks = List.of(GmlpMap.Block.random(3, 5, 0.5, r), GmlpMap.Block.random(3, 5, 0.5, r),
        GmlpMap.Block.random(3, 5, 0.5, r));
    GmlpMap map = new GmlpMap(new io.xmodal.mapping.Variant.Opaque("text-gmlp h=5"), start.muX(), start.muY(),
        start.a(), start.b(), blocks, HubnessCorrection.NONE);

    MappingModel event = MappingCodec.toAvro(map, new MappingCodec.Meta("default", 2, id("t", 4), id("i", 6), 200,
        Map.of(), Instant.EPOCH, 1L));
    GmlpMap back = (GmlpMap) MappingCodec.fromAvro(event);

    assertThat(event.getWeights()).extracting(t -> t.getName())
        .contains("gmlp_w1", "gmlp2_w1", "gmlp3_w1", "gmlp3_b2").doesNotContain("gmlp4_w1");
    assertThat(back.blocks()).hasSize(3);
    INDArray x = Nd4j.rand(7, 4);
    INDArray expected = map.projectText(x);
    INDArray one = new GmlpMap(map.variant(), start.muX(), start.muY(), start.a(), start.b(), blocks.get(0),
        HubnessCorrection.NONE).projectText(x);
    assertThat(expected.sub(one).amaxNumber().doubleValue()).isGreaterThan(1e-3);
    assertThat(back.projectText(x).sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);
  }

  @org.junit.jupiter.api.Test
  void shouldConvertEveryMethodBothWaysExactlyOnce() {
    for (io.xmodal.mapping.Method m : io.xmodal.mapping.Method.values()) {
      org.assertj.core.api.Assertions.assertThat(MappingCodec.fromAvro(MappingCodec.toAvro(m))).isEqualTo(m);
    }
    org.assertj.core.api.Assertions.assertThat(io.xmodal.schemas.MappingMethod.values())
        .hasSameSizeAs(io.xmodal.mapping.Method.values());
  }

  @Test
  void shouldWeighAtLeastWhatTheModelSearchReckonsBeforeScoringAndLittleMore() throws Exception {
    INDArray refText = Nd4j.rand(400, 4);
    INDArray refImages = Nd4j.rand(300, 6);
    for (LinearMap plain : List.of(Fits.cca(stats(), 0.01).map(3, 1), Fits.leastSquares(stats(), 0.1, true,
        Fits.Direction.I2T), Fits.procrustesPca(stats(), false))) {
      for (HubnessCorrection h : List.of(HubnessCorrection.NONE, HubnessCorrection.csls(10))) {
        LinearMap map = plain.withHubness(h);
        MappingModel event = MappingCodec.toAvro(map, new MappingCodec.Meta("default", 2, id("t", 4), id("i", 6),
            200, Map.of("rsum", 1.0), Instant.EPOCH, null, refText, refImages));

        long reckoned = io.xmodal.mapping.VersionSize.parameters(map)
            + (h.kind() == HubnessCorrection.Kind.NONE ? 0
            : io.xmodal.mapping.VersionSize.references(400, 300, map.dimension()));
        long bytes = event.toByteBuffer().remaining();

        assertThat(bytes).as(map.label()).isGreaterThanOrEqualTo(reckoned).isLessThan(reckoned + 2048);
      }
    }
  }
}
