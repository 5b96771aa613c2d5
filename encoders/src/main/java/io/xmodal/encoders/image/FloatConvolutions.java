package io.xmodal.encoders.image;

import io.xmodal.encoders.onnx.OnnxTensors;
import io.xmodal.encoders.onnx.Protobuf;
import io.xmodal.encoders.onnx.Protobuf.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Rewrites an int8 ONNX model in operator form ({@code QLinearConv}, {@code QLinearMatMul}, as in the ONNX Model Zoo's
 * MobileNetV2-int8) so that its matrix products run in float on the same quantized weights: each such node becomes
 * {@code DequantizeLinear(x) → Conv|MatMul(float weights, float bias) → QuantizeLinear(y)}. The weights are the int8
 * weights dequantized exactly ({@code (w − zero point) × scale} per output channel), the bias {@code B × x_scale ×
 * w_scale}, and the output is quantized with the node's own scale and zero point, so the result is what the int8
 * kernel computes in exact integer arithmetic (VNNI) up to float rounding.
 *
 * <p>Why: on x86 CPUs without VNNI, ONNX Runtime's int8 kernels multiply uint8 activations by int8 weights with
 * {@code VPMADDUBSW}, whose 16-bit sums saturate; on such a CPU MobileNetV2-int8 took a dog for a spider web. The
 * elementwise quantized operators ({@code QLinearAdd}, {@code QLinearGlobalAveragePool}) do not saturate and stay.
 * Models in QDQ form (the ResNet-50) need no rewrite: ONNX Runtime's {@code session.disable_quant_qdq} runs them in
 * float.
 */
final class FloatConvolutions {

  // ONNX protobuf field numbers
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int GRAPH_INPUT = 11;
  private static final int NODE_INPUT = 1;
  private static final int NODE_OUTPUT = 2;
  private static final int NODE_NAME = 3;
  private static final int NODE_OP_TYPE = 4;
  private static final int NODE_ATTRIBUTE = 5;
  private static final int NODE_DOMAIN = 7;
  private static final int VALUE_INFO_NAME = 1;
  private static final int TENSOR_DIMS = 1;
  private static final int TENSOR_DATA_TYPE = 2;
  private static final int TENSOR_FLOAT_DATA = 4;
  private static final int TENSOR_INT32_DATA = 5;
  private static final int TENSOR_NAME = 8;
  private static final int TENSOR_RAW_DATA = 9;
  private static final int UINT8 = 2;
  private static final int INT8 = 3;
  private static final int INT32 = 6;

  /** The rewritten model and how many nodes were rewritten. */
  record Result(byte[] model, int convolutions, int matMuls) {}

  private FloatConvolutions() {}

  /** The model with its quantized convolutions and matrix products in float, or empty if it has none. */
  static Optional<Result> rewrite(byte[] model) {
    List<Field> modelFields = Protobuf.read(model);
    int graphIndex = Protobuf.lastIndexOf(modelFields, MODEL_GRAPH);
    if (graphIndex < 0) {
      throw new IllegalArgumentException("not an ONNX model: no graph");
    }
    List<Field> graph = modelFields.get(graphIndex).message();
    Map<String, List<Field>> initializers = new HashMap<>();
    for (Field f : graph) {
      if (f.number() == GRAPH_INITIALIZER) {
        List<Field> tensor = f.message();
        initializers.put(name(tensor), tensor);
      }
    }

    List<Field> rewritten = new ArrayList<>();
    List<Field> added = new ArrayList<>();
    Set<String> replacedConstants = new HashSet<>();
    int convolutions = 0;
    int matMuls = 0;
    int n = 0;
    for (Field f : graph) {
      if (f.number() != GRAPH_NODE) {
        rewritten.add(f);
        continue;
      }
      List<Field> node = f.message();
      String op = Protobuf.string(node, NODE_OP_TYPE);
      String domain = Protobuf.string(node, NODE_DOMAIN);
      boolean conv = op.equals("QLinearConv");
      boolean matMul = op.equals("QLinearMatMul");
      List<String> in = texts(node, NODE_INPUT);
      if (!(conv || matMul) || !(domain.isEmpty() || domain.equals("ai.onnx"))
          || !constants(initializers, in, List.of(1, 3, 4, 5))
          || (in.size() > 8 && !in.get(8).isEmpty() && !initializers.containsKey(in.get(8)))) {
        rewritten.add(f);
        continue;
      }
      String prefix = "xmodal_float_" + (n++) + "_";
      float xScale = floats(initializers.get(in.get(1)))[0];
      List<Field> weightTensor = initializers.get(in.get(3));
      long[] dims = Protobuf.varints(weightTensor, TENSOR_DIMS);
      int[] w = ints(weightTensor);
      float[] wScale = floats(initializers.get(in.get(4)));
      int[] wZero = ints(initializers.get(in.get(5)));
      // per output channel: axis 0 of a conv weight [M, C/g, kH, kW], axis 1 (the last) of a matmul's [K, N]
      int channels = (int) (conv ? dims[0] : dims[dims.length - 1]);
      float[] wf = new float[w.length];
      for (int i = 0; i < w.length; i++) {
        int c = conv ? i / (w.length / channels) : i % channels;
        wf[i] = (w[i] - wZero[wZero.length == 1 ? 0 : c]) * wScale[wScale.length == 1 ? 0 : c];
      }
      String weightName = prefix + "W";
      added.add(Field.bytes(GRAPH_INITIALIZER, OnnxTensors.floatTensor(weightName, dims, wf).toBytes()));
      replacedConstants.addAll(List.of(in.get(3), in.get(4), in.get(5)));

      List<String> floatInputs = new ArrayList<>(List.of(prefix + "x", weightName));
      if (conv && in.size() > 8 && !in.get(8).isEmpty()) {
        int[] bias = ints(initializers.get(in.get(8)));
        float[] bf = new float[bias.length];
        for (int c = 0; c < bias.length; c++) {
          bf[c] = bias[c] * xScale * wScale[wScale.length == 1 ? 0 : c];
        }
        String biasName = prefix + "B";
        added.add(Field.bytes(GRAPH_INITIALIZER,
            OnnxTensors.floatTensor(biasName, new long[] {bias.length}, bf).toBytes()));
        floatInputs.add(biasName);
        replacedConstants.add(in.get(8));
      }

      String nodeName = Protobuf.string(node, NODE_NAME);
      rewritten.add(Field.message(GRAPH_NODE, node(prefix + "dequantize", "DequantizeLinear",
          List.of(in.get(0), in.get(1), in.get(2)), List.of(prefix + "x"), List.of())));
      List<Field> attributes = new ArrayList<>();
      for (Field a : node) {
        if (a.number() == NODE_ATTRIBUTE) {
          attributes.add(a);
        }
      }
      rewritten.add(Field.message(GRAPH_NODE, node(nodeName + "_float", conv ? "Conv" : "MatMul", floatInputs,
          List.of(prefix + "y"), attributes)));
      rewritten.add(Field.message(GRAPH_NODE, node(prefix + "quantize", "QuantizeLinear",
          List.of(prefix + "y", in.get(6), in.get(7)), texts(node, NODE_OUTPUT), List.of())));
      if (conv) {
        convolutions++;
      } else {
        matMuls++;
      }
    }
    if (convolutions + matMuls == 0) {
      return Optional.empty();
    }

    // the int8 weights, their scales and zero points, and the biases no longer read by any node go, from the
    // initializers and the graph's inputs
    Set<String> read = new HashSet<>();
    for (Field f : rewritten) {
      if (f.number() == GRAPH_NODE) {
        read.addAll(texts(f.message(), NODE_INPUT));
      }
    }
    replacedConstants.removeAll(read);
    List<Field> out = new ArrayList<>();
    for (Field f : rewritten) {
      if (f.number() == GRAPH_INITIALIZER && replacedConstants.contains(name(f.message()))
          || f.number() == GRAPH_INPUT && replacedConstants.contains(Protobuf.string(f.message(), VALUE_INFO_NAME))) {
        continue;
      }
      out.add(f);
    }
    out.addAll(added);
    List<Field> newModel = new ArrayList<>(modelFields);
    newModel.set(graphIndex, Field.message(MODEL_GRAPH, out));
    return Optional.of(new Result(Protobuf.write(newModel), convolutions, matMuls));
  }

  private static boolean constants(Map<String, List<Field>> initializers, List<String> inputs, List<Integer> which) {
    for (int i : which) {
      if (i >= inputs.size() || !initializers.containsKey(inputs.get(i))) {
        return false;
      }
    }
    return inputs.size() >= 8;
  }

  private static List<Field> node(String name, String op, List<String> inputs, List<String> outputs,
                                  List<Field> attributes) {
    List<Field> node = new ArrayList<>();
    for (String s : inputs) {
      node.add(Field.string(NODE_INPUT, s));
    }
    for (String s : outputs) {
      node.add(Field.string(NODE_OUTPUT, s));
    }
    node.add(Field.string(NODE_NAME, name));
    node.add(Field.string(NODE_OP_TYPE, op));
    node.addAll(attributes);
    return node;
  }

  private static String name(List<Field> tensor) {
    return Protobuf.string(tensor, TENSOR_NAME);
  }

  private static List<String> texts(List<Field> fields, int number) {
    List<String> out = new ArrayList<>();
    for (Field f : fields) {
      if (f.number() == number) {
        out.add(f.string());
      }
    }
    return out;
  }

  private static int dataType(List<Field> tensor) {
    for (Field f : tensor) {
      if (f.number() == TENSOR_DATA_TYPE) {
        return (int) f.value();
      }
    }
    throw new IllegalArgumentException("tensor " + name(tensor) + " has no data type");
  }

  private static byte[] raw(List<Field> tensor) {
    for (Field f : tensor) {
      if (f.number() == TENSOR_RAW_DATA) {
        return f.bytes();
      }
    }
    return null;
  }

  static float[] floats(List<Field> tensor) {
    if (dataType(tensor) != OnnxTensors.FLOAT) {
      throw new IllegalArgumentException("tensor " + name(tensor) + " is not float");
    }
    byte[] raw = raw(tensor);
    if (raw == null) {
      return Protobuf.floats(tensor, TENSOR_FLOAT_DATA);
    }
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[raw.length / 4];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getFloat();
    }
    return out;
  }

  static int[] ints(List<Field> tensor) {
    int type = dataType(tensor);
    byte[] raw = raw(tensor);
    if (raw == null) {
      long[] v = Protobuf.varints(tensor, TENSOR_INT32_DATA);
      int[] out = new int[v.length];
      for (int i = 0; i < v.length; i++) {
        out[i] = type == UINT8 ? (int) (v[i] & 0xff) : (int) v[i];
      }
      return out;
    }
    return switch (type) {
      case INT8 -> {
        int[] out = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
          out[i] = raw[i];
        }
        yield out;
      }
      case UINT8 -> {
        int[] out = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
          out[i] = raw[i] & 0xff;
        }
        yield out;
      }
      case INT32 -> {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[raw.length / 4];
        for (int i = 0; i < out.length; i++) {
          out[i] = b.getInt();
        }
        yield out;
      }
      default -> throw new IllegalArgumentException("tensor " + name(tensor) + " has data type " + type
          + ", not int8, uint8 or int32");
    };
  }
}
