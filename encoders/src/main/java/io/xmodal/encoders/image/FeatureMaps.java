package io.xmodal.encoders.image;

import io.xmodal.encoders.onnx.Protobuf;
import io.xmodal.encoders.onnx.Protobuf.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites a CNN's ONNX graph for {@link ImageModelSpec.View#WINDOWS}: the input's height and width become free
 * ({@code H}, {@code W}) instead of the fixed size the graph declares, the graph's recorded intermediate shapes (which
 * hold that size) are dropped for ONNX Runtime to infer again, and the feature map that the graph's one
 * {@code GlobalAveragePool} reads becomes an output ({@link #OUTPUT}, [N, C, h, w]). A fully convolutional trunk then
 * runs once on a larger image, and any window of its feature map pooled in Java is what the pooled output would be
 * for the matching crop, but for what the crop's borders see (the crop's zero padding there, the image's neighbouring
 * pixels here). Weights and every operator are untouched.
 */
final class FeatureMaps {

  /** The name of the added output: the feature map before the global pool. */
  static final String OUTPUT = "xmodal_feature_map";

  // ONNX protobuf field numbers
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_INPUT = 11;
  private static final int GRAPH_OUTPUT = 12;
  private static final int GRAPH_VALUE_INFO = 13;
  private static final int NODE_INPUT = 1;
  private static final int NODE_OUTPUT = 2;
  private static final int NODE_NAME = 3;
  private static final int NODE_OP_TYPE = 4;
  private static final int VALUE_INFO_NAME = 1;
  private static final int VALUE_INFO_TYPE = 2;
  private static final int TYPE_TENSOR = 1;
  private static final int TENSOR_ELEM_TYPE = 1;
  private static final int TENSOR_SHAPE = 2;
  private static final int SHAPE_DIM = 1;
  private static final int DIM_PARAM = 2;
  private static final int FLOAT = 1;

  private FeatureMaps() {}

  /**
   * @param model     the ONNX model's bytes
   * @param inputName the image input, declared [N, C, H, W] (NCHW)
   * @throws IllegalArgumentException if the graph has no such 4-d input, or not exactly one global average pool
   */
  static byte[] rewrite(byte[] model, String inputName) {
    List<Field> modelFields = Protobuf.read(model);
    int graphIndex = Protobuf.lastIndexOf(modelFields, MODEL_GRAPH);
    if (graphIndex < 0) {
      throw new IllegalArgumentException("not an ONNX model: no graph");
    }
    List<Field> graph = modelFields.get(graphIndex).message();
    List<String> pooled = new ArrayList<>();
    for (Field f : graph) {
      if (f.number() == GRAPH_NODE && Protobuf.string(f.message(), NODE_OP_TYPE).equals("GlobalAveragePool")) {
        pooled.add(Protobuf.string(f.message(), NODE_INPUT));
      }
    }
    if (pooled.size() != 1) {
      throw new IllegalArgumentException("the graph has " + pooled.size() + " GlobalAveragePool nodes, not one: "
          + "its pooled feature map cannot be told apart (use the view crops for this model)");
    }
    List<Field> out = new ArrayList<>();
    boolean input = false;
    for (Field f : graph) {
      if (f.number() == GRAPH_VALUE_INFO) {
        continue;
      }
      if (f.number() == GRAPH_INPUT && Protobuf.string(f.message(), VALUE_INFO_NAME).equals(inputName)) {
        out.add(Field.message(GRAPH_INPUT, freeSpatial(f.message(), inputName)));
        input = true;
        continue;
      }
      out.add(f);
    }
    if (!input) {
      throw new IllegalArgumentException("the graph has no input named '" + inputName + "'");
    }
    out.add(Field.message(GRAPH_OUTPUT, List.of(
        Field.string(VALUE_INFO_NAME, OUTPUT),
        Field.message(VALUE_INFO_TYPE, List.of(Field.message(TYPE_TENSOR, List.of(
            Field.varint(TENSOR_ELEM_TYPE, FLOAT),
            Field.message(TENSOR_SHAPE, List.of(dim("N"), dim("C"), dim("h"), dim("w"))))))))));
    out.add(Field.message(GRAPH_NODE, List.of(
        Field.string(NODE_INPUT, pooled.get(0)),
        Field.string(NODE_OUTPUT, OUTPUT),
        Field.string(NODE_NAME, OUTPUT + "_identity"),
        Field.string(NODE_OP_TYPE, "Identity"))));
    List<Field> newModel = new ArrayList<>(modelFields);
    newModel.set(graphIndex, Field.message(MODEL_GRAPH, out));
    return Protobuf.write(newModel);
  }

  // the input's value info with its last two dimensions named H and W instead of fixed
  private static List<Field> freeSpatial(List<Field> valueInfo, String inputName) {
    List<Field> type = message(valueInfo, VALUE_INFO_TYPE);
    List<Field> tensor = message(type, TYPE_TENSOR);
    List<Field> shape = message(tensor, TENSOR_SHAPE);
    List<Field> dims = new ArrayList<>();
    for (Field f : shape) {
      if (f.number() == SHAPE_DIM) {
        dims.add(f);
      }
    }
    if (dims.size() != 4) {
      throw new IllegalArgumentException("input '" + inputName + "' has " + dims.size() + " dimensions, not 4 (NCHW)");
    }
    List<Field> newShape = List.of(dims.get(0), dims.get(1), dim("H"), dim("W"));
    List<Field> newTensor = replace(tensor, TENSOR_SHAPE, newShape);
    List<Field> newType = replace(type, TYPE_TENSOR, newTensor);
    return replace(valueInfo, VALUE_INFO_TYPE, newType);
  }

  private static Field dim(String param) {
    return Field.message(SHAPE_DIM, List.of(Field.string(DIM_PARAM, param)));
  }

  private static List<Field> replace(List<Field> fields, int number, List<Field> message) {
    List<Field> out = new ArrayList<>();
    for (Field f : fields) {
      out.add(f.number() == number ? Field.message(number, message) : f);
    }
    return out;
  }

  private static List<Field> message(List<Field> fields, int number) {
    for (Field f : fields) {
      if (f.number() == number) {
        return f.message();
      }
    }
    throw new IllegalArgumentException("field " + number + " missing");
  }

}
