package io.xmodal.schemas;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12.2 refuses to instantiate generated classes outside packages it trusts (the fix for CVE-2024-47561). This
 * adds the classes of {@code io.xmodal.schemas}, and nothing else, to Avro's JVM-wide trust list, keeping whatever
 * was trusted before (including {@code org.apache.avro.SERIALIZABLE_PACKAGES}). Avro keeps that list globally; every
 * serde factory calls this once, so no launcher or test has to remember a {@code -D} flag.
 */
public final class AvroTrust {

  private static final AtomicBoolean DONE = new AtomicBoolean();
  private static final String PACKAGE = AvroTrust.class.getPackageName();

  private AvroTrust() {}

  public static void trustXmodalSchemas() {
    if (DONE.compareAndSet(false, true)) {
      ClassSecurityValidator.ClassSecurityPredicate ours = cls -> PACKAGE.equals(cls.getPackageName());
      ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), ours));
    }
  }
}
