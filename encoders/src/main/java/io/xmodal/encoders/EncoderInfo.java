package io.xmodal.encoders;

/**
 * Which encoder produced a vector: it travels with every embedding, so a model change is visible downstream.
 *
 * @param name      the model, e.g. {@code all-MiniLM-L6-v2}
 * @param version   its artifact version or file name
 * @param dimension length of its vectors
 * @param checksum  sha256 of the model file
 */
public record EncoderInfo(String name, String version, int dimension, String checksum) {}
