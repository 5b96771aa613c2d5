package io.xmodal.app.cli;

import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.MappingModel;
import java.util.List;

/** Every published mapping version, for code outside the CLI package (the demo). */
public final class MappingVersions {

  private MappingVersions() {}

  public static List<MappingModel> read(PlatformConfig config, TopicCatalogue topics) {
    return MappingCommand.versions(config, topics);
  }
}
