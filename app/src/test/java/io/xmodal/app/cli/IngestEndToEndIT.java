package io.xmodal.app.cli;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.process.Ports;
import io.xmodal.tools.stack.Stack;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The ingest scenario on the embedded default: a real KRaft broker and a real Apicurio registry, as './xmodal up'. */
@Tag("e2e")
@Timeout(600)
class IngestEndToEndIT {

  @TempDir
  Path work;

  @Test
  void shouldAccountForEveryRecordOfTheDevSplitAndEveryBadRecord() throws Exception {
    ConfigSource source = ConfigSource.of(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_INGEST_MAX_IMAGE_BYTES", Long.toString(IngestScenario.MAX_IMAGE_BYTES),
        "XMODAL_METRICS_INTERVAL", "1s"));

    try (Stack stack = Stack.start(source, java.util.Set.of(Stack.Service.INGEST))) {
      new IngestScenario(stack.config(), stack.topics()).run();
    }
  }
}
