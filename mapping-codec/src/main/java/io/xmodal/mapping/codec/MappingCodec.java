package io.xmodal.mapping.codec;

import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.Method;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.MappingDirection;
import io.xmodal.schemas.MappingMethod;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@link LinearMap} as a versioned {@link MappingModel} and back. Tensors are float32, row-major, little-endian:
 * preprocessing {@code text_mean} (1×dx) and {@code image_mean} (1×dy); weights {@code text_projection} (dx×k),
 * {@code image_projection} (dy×k) and {@code dimension_weights} (1×k), each present only when the map has it.
 */
public final class MappingCodec {

  public static final String TEXT_MEAN = "text_mean";
  public static final String IMAGE_MEAN = "image_mean";
  public static final String TEXT_PROJECTION = "text_projection";
  public static final String IMAGE_PROJECTION = "image_projection";
  public static final String DIMENSION_WEIGHTS = "dimension_weights";
  public static final String REFERENCE_TEXT = "reference_text";
  public static final String REFERENCE_IMAGES = "reference_images";

  private MappingCodec() {}

  /**
   * What the event says besides the map itself. The reference embeddings (L2-normalised training captions and
   * images, nullable) travel with a map whose scoring corrects hubness, so every consumer computes the same penalties.
   */
  public record Meta(String name, long version, EncoderIdentity textEncoder, EncoderIdentity imageEncoder,
                     long pairsUsed, Map<String, Double> heldOutMetrics, Instant createdAt, Long parentVersion,
                     INDArray referenceText, INDArray referenceImages) {

    public Meta(String name, long version, EncoderIdentity textEncoder, EncoderIdentity imageEncoder, long pairsUsed,
                Map<String, Double> heldOutMetrics, Instant createdAt, Long parentVersion) {
      this(name, version, textEncoder, imageEncoder, pairsUsed, heldOutMetrics, createdAt, parentVersion, null, null);
    }
  }

  /** The reference queries of a map's hubness correction (null when it has none). */
  public record References(INDArray text, INDArray images) {}

  public static MappingModel toAvro(LinearMap map, Meta meta) {
    List<Tensor> pre = new ArrayList<>();
    add(pre, TEXT_MEAN, map.muX());
    add(pre, IMAGE_MEAN, map.muY());
    if (map.hubness().kind() != io.xmodal.mapping.HubnessCorrection.Kind.NONE) {
      add(pre, REFERENCE_TEXT, meta.referenceText());
      add(pre, REFERENCE_IMAGES, meta.referenceImages());
    }
    List<Tensor> weights = new ArrayList<>();
    add(weights, TEXT_PROJECTION, map.a());
    add(weights, IMAGE_PROJECTION, map.b());
    add(weights, DIMENSION_WEIGHTS, map.weights());
    return MappingModel.newBuilder()
        .setName(meta.name())
        .setVersion(meta.version())
        .setMethod(MappingMethod.valueOf(map.method().name()))
        .setVariant(map.variant())
        .setDirection(direction(map))
        .setTextEncoder(meta.textEncoder())
        .setImageEncoder(meta.imageEncoder())
        .setPreprocessing(pre)
        .setWeights(weights)
        .setScoring(map.hubness().encode())
        .setPairsUsed(meta.pairsUsed())
        .setHeldOutMetrics(new HashMap<>(meta.heldOutMetrics()))
        .setCreatedAt(meta.createdAt())
        .setParentVersion(meta.parentVersion())
        .build();
  }

  public static LinearMap fromAvro(MappingModel m) {
    Map<String, INDArray> pre = read(m.getPreprocessing());
    Map<String, INDArray> w = read(m.getWeights());
    return new LinearMap(Method.valueOf(m.getMethod().name()), m.getVariant(), pre.get(TEXT_MEAN),
        pre.get(IMAGE_MEAN), w.get(TEXT_PROJECTION), w.get(IMAGE_PROJECTION), w.get(DIMENSION_WEIGHTS),
        HubnessCorrection.decode(m.getScoring()));
  }

  public static References references(MappingModel m) {
    Map<String, INDArray> pre = read(m.getPreprocessing());
    return new References(pre.get(REFERENCE_TEXT), pre.get(REFERENCE_IMAGES));
  }

  /** Which space the comparison happens in: the image space, the text space, or a shared one. */
  static MappingDirection direction(LinearMap map) {
    if (map.b() == null && map.a() != null) {
      return MappingDirection.TEXT_TO_IMAGE;
    }
    if (map.a() == null && map.b() != null) {
      return MappingDirection.IMAGE_TO_TEXT;
    }
    return MappingDirection.SHARED_SPACE;
  }

  private static void add(List<Tensor> out, String name, INDArray a) {
    if (a == null) {
      return;
    }
    float[] data = a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(data);
    List<Integer> shape = new ArrayList<>();
    for (long d : a.shape()) {
      shape.add((int) d);
    }
    out.add(Tensor.newBuilder().setName(name).setShape(shape).setData(b).build());
  }

  private static Map<String, INDArray> read(List<Tensor> tensors) {
    Map<String, INDArray> out = new HashMap<>();
    for (Tensor t : tensors) {
      long[] shape = t.getShape().stream().mapToLong(Integer::longValue).toArray();
      ByteBuffer b = t.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
      float[] data = new float[b.remaining() / 4];
      b.asFloatBuffer().get(data);
      out.put(t.getName(), Nd4j.create(data, shape, DataType.FLOAT).castTo(DataType.DOUBLE));
    }
    return out;
  }
}
