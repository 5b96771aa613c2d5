package io.xmodal.client.dataset;

/** A dataset folder or file is missing or malformed; the message says where and what to do. */
public final class DatasetException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DatasetException(String message) {
    super(message);
  }
}
