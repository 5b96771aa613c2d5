package io.xmodal.platform.service;

import java.util.Properties;
import org.apache.kafka.streams.Topology;

/**
 * A service ready to start: its topology, its streams properties, and what to close once it has stopped (the
 * resources it holds from {@link SharedResources}, released in the reverse order they were taken).
 */
public record ServiceAssembly(String name, Topology topology, Properties properties, AutoCloseable resources)
    implements AutoCloseable {

  public ServiceAssembly {
    properties = (Properties) properties.clone();
  }

  /** An assembly that holds no resources. */
  public static ServiceAssembly of(String name, Topology topology, Properties properties) {
    return new ServiceAssembly(name, topology, properties, () -> { });
  }

  @Override
  public void close() {
    try {
      resources.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing the resources of " + name + " failed: " + e.getMessage(), e);
    }
  }
}
