package io.xmodal.platform.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SharedResourcesTest {

  /** Counts how often it was opened and closed. */
  static final class Model implements AutoCloseable {
    static final AtomicInteger OPENED = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();

    Model() {
      OPENED.incrementAndGet();
    }

    @Override
    public void close() {
      closed.incrementAndGet();
    }
  }

  @Test
  void shouldOpenOncePerKeyAndCloseWhenTheLastHolderLetsGo() throws Exception {
    SharedResources shared = new SharedResources();
    int before = Model.OPENED.get();

    SharedResources.Handle<Model> encode = shared.acquire("models-a", Model::new);
    SharedResources.Handle<Model> query = shared.acquire("models-a", Model::new);
    SharedResources.Handle<Model> other = shared.acquire("models-b", Model::new);

    assertThat(Model.OPENED.get() - before).isEqualTo(2);
    assertThat(query.get()).isSameAs(encode.get());
    assertThat(shared.peek("models-a")).containsSame(encode.get());

    encode.close();
    encode.close(); // a second close of the same hold releases nothing more
    assertThat(query.get().closed.get()).as("query-stream still holds it").isZero();
    query.close();
    assertThat(query.get().closed.get()).isEqualTo(1);
    assertThat(shared.peek("models-a")).isEmpty();
    assertThat(shared.open()).isEqualTo(1);
    other.close();
    assertThat(shared.open()).isZero();
  }

  @Test
  void shouldCloseAnAssemblysResourcesWithIt() {
    SharedResources shared = new SharedResources();
    SharedResources.Handle<Model> models = shared.acquire("k", Model::new);
    ServiceAssembly assembly = new ServiceAssembly("svc", new org.apache.kafka.streams.Topology(),
        new java.util.Properties(), models);

    assembly.close();

    assertThat(models.get().closed.get()).isEqualTo(1);
  }
}
