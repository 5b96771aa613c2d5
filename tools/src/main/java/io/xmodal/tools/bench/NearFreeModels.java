package io.xmodal.tools.bench;

import io.xmodal.encoders.onnx.OnnxTensors;
import io.xmodal.encoders.onnx.Protobuf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Two ONNX models with the inputs and outputs of the real encoders and almost no arithmetic, written by the encode
 * benchmark for its pipeline-ceiling mode. Fed through the same translators, sessions and processors as the real
 * models, they leave every cost a GPU worker's CPU still pays per record (fetch, deserialise, decode, resize,
 * normalise, tokenise, tensor in and out, pooling, serialise, produce, commit) and remove only the model's own work.
 * <ul>
 *   <li>image: {@code input} [N, 3, H, W] float → AveragePool 32 × 32, stride 32 → 1 × 1 Conv by a fixed [D, 3]
 *       matrix, a feature map [N, D, H/32, W/32] as a real CNN's → GlobalAveragePool → Flatten → {@code features}
 *       [N, D] (so the five-window view finds its feature map as in the real model);</li>
 *   <li>text: {@code input_ids}, {@code attention_mask}, {@code token_type_ids} [N, T] int64 → Cast, Add →
 *       Unsqueeze → Mul by a fixed [D] vector → {@code last_hidden_state} [N, T, D].</li>
 * </ul>
 * The files are protobuf written by hand (the few ModelProto fields these graphs need, ONNX IR 7, opset 13, through
 * {@link Protobuf.Message}), so no binary is checked in and no ONNX tooling is needed.
 */
final class NearFreeModels {

  static final long IR_VERSION = 7;
  static final long OPSET = 13;
  private static final int FLOAT = OnnxTensors.FLOAT;
  private static final int INT64 = OnnxTensors.INT64;
  /** The image model's stride, a real CNN's (ResNet-50's, MobileNetV2's): its feature map has one cell per 32². */
  private static final long STRIDE = 32;

  private NearFreeModels() {}

  /** Writes the image model ({@code input} NCHW [N,3,height,width] → {@code features} [N,dim]) to {@code file}. */
  static Path image(Path file, int width, int height, int dim) {
    float[] w = new float[dim * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) Math.sin(0.37 * i + 1);
    }
    byte[] graph = graph("xmodal-near-free-image",
        List.of(node("AveragePool", List.of("input"), "cells",
                intsAttribute("kernel_shape", STRIDE, STRIDE), intsAttribute("strides", STRIDE, STRIDE)),
            node("Conv", List.of("cells", "w"), "map"),
            node("GlobalAveragePool", List.of("map"), "pooled"),
            node("Flatten", List.of("pooled"), "features", intAttribute("axis", 1))),
        List.of(OnnxTensors.floatTensor("w", new long[] {dim, 3, 1, 1}, w)),
        List.of(valueInfo("input", FLOAT, new Object[] {"N", 3L, (long) height, (long) width})),
        List.of(valueInfo("features", FLOAT, new Object[] {"N", (long) dim})));
    return write(file, model(graph));
  }

  /** Writes the text model (three [N,T] int64 inputs → {@code last_hidden_state} [N,T,dim]) to {@code file}. */
  static Path text(Path file, int dim) {
    float[] v = new float[dim];
    for (int i = 0; i < dim; i++) {
      v[i] = (float) Math.cos(0.41 * i + 1);
    }
    byte[] graph = graph("xmodal-near-free-text",
        List.of(node("Cast", List.of("input_ids"), "ids", intAttribute("to", FLOAT)),
            node("Cast", List.of("attention_mask"), "mask", intAttribute("to", FLOAT)),
            node("Cast", List.of("token_type_ids"), "types", intAttribute("to", FLOAT)),
            node("Add", List.of("ids", "mask"), "sum1"),
            node("Add", List.of("sum1", "types"), "sum2"),
            node("Unsqueeze", List.of("sum2", "axes"), "column"),
            node("Mul", List.of("column", "v"), "last_hidden_state")),
        List.of(OnnxTensors.int64Tensor("axes", new long[] {1}, new long[] {2}),
            OnnxTensors.floatTensor("v", new long[] {dim}, v)),
        List.of(valueInfo("input_ids", INT64, new Object[] {"N", "T"}),
            valueInfo("attention_mask", INT64, new Object[] {"N", "T"}),
            valueInfo("token_type_ids", INT64, new Object[] {"N", "T"})),
        List.of(valueInfo("last_hidden_state", FLOAT, new Object[] {"N", "T", (long) dim})));
    return write(file, model(graph));
  }

  private static Path write(Path file, byte[] bytes) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.write(file, bytes);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  // ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 (OperatorSetIdProto: domain 1, version 2)
  private static byte[] model(byte[] graph) {
    Protobuf.Message opset = new Protobuf.Message().string(1, "").varint(2, OPSET);
    return new Protobuf.Message().varint(1, IR_VERSION).string(2, "xmodal-bench").bytes(7, graph).message(8, opset)
        .toBytes();
  }

  // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12
  private static byte[] graph(String name, List<Protobuf.Message> nodes, List<Protobuf.Message> initializers,
                              List<Protobuf.Message> inputs, List<Protobuf.Message> outputs) {
    Protobuf.Message g = new Protobuf.Message();
    nodes.forEach(n -> g.message(1, n));
    g.string(2, name);
    initializers.forEach(t -> g.message(5, t));
    inputs.forEach(i -> g.message(11, i));
    outputs.forEach(o -> g.message(12, o));
    return g.toBytes();
  }

  // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5
  private static Protobuf.Message node(String op, List<String> inputs, String output,
                                       Protobuf.Message... attributes) {
    Protobuf.Message n = new Protobuf.Message();
    inputs.forEach(i -> n.string(1, i));
    n.string(2, output).string(3, output).string(4, op);
    for (Protobuf.Message attribute : attributes) {
      n.message(5, attribute);
    }
    return n;
  }

  // AttributeProto: name = 1, i = 3, type = 20 (INT = 2)
  private static Protobuf.Message intAttribute(String name, long value) {
    return new Protobuf.Message().string(1, name).varint(3, value).varint(20, 2);
  }

  // AttributeProto: name = 1, ints = 8, type = 20 (INTS = 7)
  private static Protobuf.Message intsAttribute(String name, long... values) {
    Protobuf.Message a = new Protobuf.Message().string(1, name);
    for (long v : values) {
      a.varint(8, v);
    }
    return a.varint(20, 7);
  }

  // ValueInfoProto: name = 1, type = 2; TypeProto: tensor_type = 1; Tensor: elem_type = 1, shape = 2;
  // TensorShapeProto: dim = 1; Dimension: dim_value = 1, dim_param = 2
  private static Protobuf.Message valueInfo(String name, int elemType, Object[] dims) {
    Protobuf.Message shape = new Protobuf.Message();
    for (Object d : dims) {
      shape.message(1, d instanceof Long v ? new Protobuf.Message().varint(1, v)
          : new Protobuf.Message().string(2, (String) d));
    }
    Protobuf.Message tensor = new Protobuf.Message().varint(1, elemType).message(2, shape);
    return new Protobuf.Message().string(1, name).message(2, new Protobuf.Message().message(1, tensor));
  }
}
