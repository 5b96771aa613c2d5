package io.xmodal.ingest;

import io.xmodal.schemas.ContentHash;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.RejectReason;
import java.time.Instant;

/**
 * Caption checks: an id, the key equal to it, an imageId that is either null (free text) or not blank, text that is
 * not empty or whitespace-only, valid UTF-8, and within the length limit. A caption whose image has not arrived is
 * fine: either may come first.
 */
public final class CaptionRules implements ValidationRules<CaptionEvent> {

  private final int maxChars;

  public CaptionRules(int maxChars) {
    this.maxChars = maxChars;
  }

  public static CaptionRules from(IngestConfig config) {
    return new CaptionRules(config.maxCaptionChars());
  }

  @Override
  public String kind() {
    return "captions";
  }

  @Override
  public String contentHash(CaptionEvent accepted) {
    return accepted.getContentHash();
  }

  @Override
  public Verdict<CaptionEvent> validate(String key, CaptionEvent caption, Instant now) {
    String id = caption.getCaptionId();
    if (id == null || id.isBlank()) {
      return Verdict.refuse(RejectReason.MISSING_ID, "captionId is missing or blank; every caption needs a stable id");
    }
    if (!id.equals(key)) {
      return Verdict.refuse(RejectReason.KEY_MISMATCH, RecordKeys.mismatch("captionId", "caption", key, id));
    }
    if (caption.getImageId() != null && caption.getImageId().isBlank()) {
      return Verdict.refuse(RejectReason.MISSING_ID, "caption " + id
          + " has a blank imageId; set the id of the image it describes, or null for free text");
    }
    String text = caption.getText();
    if (text == null || text.isEmpty()) {
      return Verdict.refuse(RejectReason.EMPTY_CAPTION, "caption " + id + " has no text");
    }
    if (text.isBlank()) {
      return Verdict.refuse(RejectReason.EMPTY_CAPTION, "caption " + id + " is whitespace only");
    }
    int bad = firstInvalidUtf16(text);
    if (bad >= 0) {
      return Verdict.refuse(RejectReason.INVALID_UTF8, "caption " + id + " is not valid UTF-8 (replacement or lone "
          + "surrogate character at index " + bad + "); producers must send UTF-8 text");
    }
    int length = text.codePointCount(0, text.length());
    if (length > maxChars) {
      return Verdict.refuse(RejectReason.CAPTION_TOO_LONG, "caption " + id + " has " + length
          + " characters, over the limit of " + maxChars + " (XMODAL_INGEST_MAX_CAPTION_CHARS)");
    }
    String hash = ContentHash.ofCaption(caption.getImageId(), caption.getLanguage(), text);
    CaptionEvent accepted = CaptionEvent.newBuilder(caption).setContentHash(hash).setIngestedAt(now).build();
    return new Verdict.Accepted<>(accepted, hash);
  }

  /**
   * Avro decodes strings leniently: invalid UTF-8 bytes become U+FFFD. A replacement character or an unpaired
   * surrogate therefore marks text that was not valid UTF-8 on the wire. Returns its index, or -1.
   */
  static int firstInvalidUtf16(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\uFFFD') {
        return i;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return i;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }
}
