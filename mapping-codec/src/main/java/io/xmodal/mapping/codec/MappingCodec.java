package io.xmodal.mapping.codec;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.GmlpMap;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.Int8Rows;
import io.xmodal.mapping.Linalg;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.Variant;
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
  /** The reference queries mapped by the map (r×k, unit rows): what a MappingModel carries since composites. */
  public static final String REFERENCE_TEXT_MAPPED = "reference_text_mapped";
  public static final String REFERENCE_IMAGES_MAPPED = "reference_images_mapped";
  /**
   * The same, one byte per value and a float scale per row ({@link Int8Rows}): what xmodal writes now (a
   * quarter of the float32 bytes, so more references fit a record). An older
   * reader reads every tensor as float32, so it cannot decode such a version and queries on it fail: upgrade
   * query-stream first.
   */
  public static final String REFERENCE_TEXT_MAPPED_INT8 = "reference_text_mapped_int8";
  public static final String REFERENCE_IMAGES_MAPPED_INT8 = "reference_images_mapped_int8";
  /**
   * gMLP block tensors (text side of a GMLP map). An ensemble's further blocks carry the same names with the block's
   * number after the prefix: {@code gmlp2_w1}, {@code gmlp3_w1}, … ({@link #blockTensor}).
   */
  static final String[] GMLP = {"gmlp_ln1_gamma", "gmlp_ln1_beta", "gmlp_w1", "gmlp_b1", "gmlp_ln2_gamma",
      "gmlp_ln2_beta", "gmlp_wg", "gmlp_bg", "gmlp_w2", "gmlp_b2"};

  private MappingCodec() {}

  /**
   * In a version's held-out metrics: 1 when the map was fitted again on all pairs, the held-out ones included, after
   * being chosen on the training pairs (the trainer's {@code XMODAL_TRAINER_ALL_PAIRS}); its scores are then the
   * training-only fit's.
   */
  public static final String ALL_PAIRS_METRIC = "fit.all_pairs";
  /** In the held-out metrics of a version fitted on all pairs: the training pairs it was chosen and scored with. */
  public static final String TRAINING_PAIRS_METRIC = "fit.training_pairs";
  /** In a version's held-out metrics: the held-out images and captions its scores were taken on. */
  public static final String HELD_OUT_IMAGES_METRIC = "heldout.images";
  public static final String HELD_OUT_CAPTIONS_METRIC = "heldout.captions";

  /** Whether a published map was fitted on all pairs (so it must not be scored on its own held-out pairs). */
  public static boolean fittedOnAllPairs(MappingModel m) {
    Double flag = m.getHeldOutMetrics().get(ALL_PAIRS_METRIC);
    return flag != null && flag == 1.0;
  }

  /** The training pairs a version was chosen and scored with (an all-pairs refit adds the held-out ones to its fit). */
  public static long trainingPairs(MappingModel m) {
    Double training = m.getHeldOutMetrics().get(TRAINING_PAIRS_METRIC);
    return fittedOnAllPairs(m) && training != null ? training.longValue() : m.getPairsUsed();
  }


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

  /**
   * The reference queries of a map's hubness correction (null when it has none): mapped into the comparison space
   * already ({@code mapped}, what xmodal writes: k values per reference whatever the encoders' dimension), or raw
   * embeddings (models written before) that the reader maps.
   */
  public record References(INDArray text, INDArray images, boolean mapped) {

    /** Text references in the comparison space of {@code map}. */
    public INDArray mappedText(CrossModalMap map) {
      return text == null || mapped ? text : map.projectText(text);
    }

    /** Image references in the comparison space of {@code map}. */
    public INDArray mappedImages(CrossModalMap map) {
      return images == null || mapped ? images : map.projectImages(images);
    }
  }

  public static MappingModel toAvro(CrossModalMap map, Meta meta) {
    List<Tensor> pre = new ArrayList<>();
    List<Tensor> weights = new ArrayList<>();
    if (map instanceof LinearMap l) {
      add(pre, TEXT_MEAN, l.muX());
      add(pre, IMAGE_MEAN, l.muY());
      add(weights, TEXT_PROJECTION, l.a());
      add(weights, IMAGE_PROJECTION, l.b());
      add(weights, DIMENSION_WEIGHTS, l.weights());
    } else if (map instanceof GmlpMap g) {
      add(pre, TEXT_MEAN, g.muX());
      add(pre, IMAGE_MEAN, g.muY());
      add(weights, TEXT_PROJECTION, g.a());
      add(weights, IMAGE_PROJECTION, g.b());
      for (int n = 0; n < g.blocks().size(); n++) {
        GmlpMap.Block b = g.blocks().get(n);
        INDArray[] parts = {b.ln1Gamma(), b.ln1Beta(), b.w1(), b.b1(), b.ln2Gamma(), b.ln2Beta(), b.wg(), b.bg(),
            b.w2(), b.b2()};
        for (int i = 0; i < GMLP.length; i++) {
          add(weights, blockTensor(n, i), parts[i]);
        }
      }
    } else {
      throw new IllegalArgumentException("cannot encode a " + map.getClass().getSimpleName());
    }
    if (map.hubness().kind() != HubnessCorrection.Kind.NONE) {
      // mapped once here, so the record grows with k, not with the encoders' dimension
      addInt8(pre, REFERENCE_TEXT_MAPPED_INT8,
          meta.referenceText() == null ? null : map.projectText(meta.referenceText()));
      addInt8(pre, REFERENCE_IMAGES_MAPPED_INT8,
          meta.referenceImages() == null ? null : map.projectImages(meta.referenceImages()));
    }
    return MappingModel.newBuilder()
        .setName(meta.name())
        .setVersion(meta.version())
        .setMethod(toAvro(map.method()))
        .setVariant(map.variant().label())
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

  /** The name of tensor {@code i} of {@link #GMLP} for block {@code n} (0-based) of a GMLP map. */
  static String blockTensor(int n, int i) {
    return n == 0 ? GMLP[i] : GMLP[i].replaceFirst("^gmlp_", "gmlp" + (n + 1) + "_");
  }

  public static CrossModalMap fromAvro(MappingModel m) {
    Map<String, INDArray> pre = read(m.getPreprocessing());
    Map<String, INDArray> w = read(m.getWeights());
    if (m.getMethod() == MappingMethod.GMLP) {
      List<GmlpMap.Block> blocks = new ArrayList<>();
      for (int n = 0; n == 0 || w.containsKey(blockTensor(n, 0)); n++) {
        INDArray[] p = new INDArray[GMLP.length];
        for (int i = 0; i < GMLP.length; i++) {
          p[i] = w.get(blockTensor(n, i));
        }
        blocks.add(new GmlpMap.Block(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]));
      }
      return new GmlpMap(Variant.parse(Method.GMLP, m.getVariant()), pre.get(TEXT_MEAN), pre.get(IMAGE_MEAN),
          w.get(TEXT_PROJECTION), w.get(IMAGE_PROJECTION), blocks, HubnessCorrection.decode(m.getScoring()));
    }
    Method method = fromAvro(m.getMethod());
    return new LinearMap(method, Variant.parse(method, m.getVariant()), pre.get(TEXT_MEAN),
        pre.get(IMAGE_MEAN), w.get(TEXT_PROJECTION), w.get(IMAGE_PROJECTION), w.get(DIMENSION_WEIGHTS),
        HubnessCorrection.decode(m.getScoring()));
  }

  /** The library's method as the event's; the one place the two enums meet (a missing case fails to compile). */
  public static MappingMethod toAvro(Method method) {
    return switch (method) {
      case LEAST_SQUARES -> MappingMethod.LEAST_SQUARES;
      case PROCRUSTES -> MappingMethod.PROCRUSTES;
      case CCA -> MappingMethod.CCA;
      case CONTRASTIVE -> MappingMethod.CONTRASTIVE;
      case GMLP -> MappingMethod.GMLP;
    };
  }

  public static Method fromAvro(MappingMethod method) {
    return switch (method) {
      case LEAST_SQUARES -> Method.LEAST_SQUARES;
      case PROCRUSTES -> Method.PROCRUSTES;
      case CCA -> Method.CCA;
      case CONTRASTIVE -> Method.CONTRASTIVE;
      case GMLP -> Method.GMLP;
    };
  }

  public static References references(MappingModel m) {
    Map<String, INDArray> pre = read(m.getPreprocessing());
    if (pre.containsKey(REFERENCE_TEXT_MAPPED_INT8) || pre.containsKey(REFERENCE_IMAGES_MAPPED_INT8)) {
      return new References(pre.get(REFERENCE_TEXT_MAPPED_INT8), pre.get(REFERENCE_IMAGES_MAPPED_INT8), true);
    }
    if (pre.containsKey(REFERENCE_TEXT_MAPPED) || pre.containsKey(REFERENCE_IMAGES_MAPPED)) {
      return new References(pre.get(REFERENCE_TEXT_MAPPED), pre.get(REFERENCE_IMAGES_MAPPED), true);
    }
    return new References(pre.get(REFERENCE_TEXT), pre.get(REFERENCE_IMAGES), false);
  }

  /** Which space the comparison happens in: the image space, the text space, or a shared one. */
  static MappingDirection direction(CrossModalMap map) {
    if (map instanceof LinearMap l && l.b() == null && l.a() != null) {
      return MappingDirection.TEXT_TO_IMAGE;
    }
    if (map instanceof LinearMap l && l.a() == null && l.b() != null) {
      return MappingDirection.IMAGE_TO_TEXT;
    }
    return MappingDirection.SHARED_SPACE;
  }

  private static void add(List<Tensor> out, String name, INDArray a) {
    if (a == null) {
      return;
    }
    float[] data = Linalg.rowMajorFloats(a);
    ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(data);
    List<Integer> shape = new ArrayList<>();
    for (long d : a.shape()) {
      shape.add((int) d);
    }
    out.add(Tensor.newBuilder().setName(name).setShape(shape).setData(b).build());
  }

  private static void addInt8(List<Tensor> out, String name, INDArray a) {
    if (a == null) {
      return;
    }
    out.add(Tensor.newBuilder().setName(name).setShape(List.of((int) a.size(0), (int) a.size(1)))
        .setData(ByteBuffer.wrap(Int8Rows.encode(a))).build());
  }

  private static Map<String, INDArray> read(List<Tensor> tensors) {
    Map<String, INDArray> out = new HashMap<>();
    for (Tensor t : tensors) {
      if (t.getName().endsWith("_int8")) {
        out.put(t.getName(), Int8Rows.decode(t.getData(), t.getShape().get(0), t.getShape().get(1)));
        continue;
      }
      long[] shape = t.getShape().stream().mapToLong(Integer::longValue).toArray();
      ByteBuffer b = t.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
      float[] data = new float[b.remaining() / 4];
      b.asFloatBuffer().get(data);
      out.put(t.getName(), Nd4j.create(data, shape, DataType.FLOAT));
    }
    return out;
  }
}
