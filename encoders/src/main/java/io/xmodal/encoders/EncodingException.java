package io.xmodal.encoders;

/** An input could not be encoded (undecodable image, engine error). */
public final class EncodingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EncodingException(String message, Throwable cause) {
    super(message, cause);
  }

  public EncodingException(String message) {
    super(message);
  }
}
