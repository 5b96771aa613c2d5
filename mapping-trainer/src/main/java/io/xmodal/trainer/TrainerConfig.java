package io.xmodal.trainer;

import io.xmodal.device.DeviceChoice;
import io.xmodal.learned.LearnedOptions;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.ReferenceCaps;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.streams.RejectionFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Settings of mapping-trainer.
 *
 * @param applicationId    {@code XMODAL_TRAINER_APPLICATION_ID}, default {@code xmodal-trainer}
 * @param mappingName      {@code XMODAL_MAPPING_NAME}: the key its versions are published under, default {@code default}
 * @param heldOutPercent   {@code XMODAL_HELD_OUT_PERCENT}: images whose CRC32(imageId) mod 100 is below this are held
 *                         out, with all their captions, and never enter a fit; default 10
 * @param refitEveryPairs  {@code XMODAL_TRAINER_REFIT_PAIRS}: refit after this many new pairs, default 5000
 * @param refitInterval    {@code XMODAL_TRAINER_REFIT_INTERVAL}: or after this long if any pair arrived, default 10m
 * @param minTrainingPairs {@code XMODAL_TRAINER_MIN_PAIRS}: no fit below this many training pairs, default 1000
 * @param minHeldOutImages {@code XMODAL_TRAINER_MIN_HELD_OUT}: nor below this many held-out images, default 50
 * @param search           {@code XMODAL_TRAINER_GRID}: full (default) or quick
 * @param learned          {@code XMODAL_TRAINER_LEARNED}: also train CONTRASTIVE and GMLP maps from the best weighted
 *                         CCA at every refit (default true); {@code XMODAL_TRAINER_EPOCHS} bounds their epochs (30)
 *                         and {@code XMODAL_DEVICE} says where PyTorch trains; {@code XMODAL_TRAINER_GMLP_MEMBERS}
 *                         is how many gMLP blocks, each with its own seed, are trained on the frozen start and
 *                         averaged (default {@link LearnedOptions#defaults}'s; 1: a single block)
 * @param allPairs         {@code XMODAL_TRAINER_ALL_PAIRS}: once a refit has chosen its best candidate on the held-out
 *                         pairs, publish it fitted again on every pair, the held-out ones included (default true): a
 *                         closed form's recipe refitted, a learned map trained again from its start's recipe refitted
 *                         for the epochs chosen on the held-out pairs; its held-out score, and the gate, use the
 *                         training-only twin
 * @param learnedMaxPairs  {@code XMODAL_TRAINER_LEARNED_MAX_PAIRS}: the learned maps train on at most this many
 *                         training pairs, a deterministic sample by caption id hash kept in memory (default 50000)
 * @param references       {@code XMODAL_TRAINER_REFERENCE_CAPTIONS} / {@code XMODAL_TRAINER_REFERENCE_IMAGES}: the
 *                         most hubness reference queries a version carries, picked among the training captions and
 *                         images by id hash (defaults 16384 / 1024; every one costs k + 4 bytes in the version and
 *                         is compared with every gallery item at each new version)
 * @param dlqPayloadCap    bytes of a refused record kept in its dead letter
 * @param maxModelBytes    largest MappingModel the trainer publishes ({@code XMODAL_MAX_MESSAGE_BYTES} less 64 KiB of
 *                         headroom); a better candidate that would not fit is passed over for the best one that does
 * @param metricsInterval  how often pair counts are published
 */
public record TrainerConfig(String applicationId, String mappingName, int heldOutPercent, int refitEveryPairs,
                            Duration refitInterval, int minTrainingPairs, int minHeldOutImages,
                            ModelSearch.Options search, List<LearnedOptions> learned, boolean allPairs,
                            int learnedMaxPairs, ReferenceCaps references,
                            int dlqPayloadCap, int maxModelBytes,
                            Duration metricsInterval) {

  public static TrainerConfig from(ConfigSource source, PlatformConfig platform) {
    TrainerConfig c = new TrainerConfig(
        source.string("XMODAL_TRAINER_APPLICATION_ID", "xmodal-trainer"),
        source.string("XMODAL_MAPPING_NAME", "default"),
        source.integer("XMODAL_HELD_OUT_PERCENT", 10),
        source.positiveInt("XMODAL_TRAINER_REFIT_PAIRS", 5000),
        source.duration("XMODAL_TRAINER_REFIT_INTERVAL", Duration.ofMinutes(10)),
        source.positiveInt("XMODAL_TRAINER_MIN_PAIRS", 1000),
        source.positiveInt("XMODAL_TRAINER_MIN_HELD_OUT", 50),
        (source.string("XMODAL_TRAINER_GRID", "full").equalsIgnoreCase("quick")
            ? ModelSearch.Options.quick() : ModelSearch.Options.defaults())
            .withMaxVersionBytes(platform.topics().maxMappingBytes()),
        learned(source),
        source.bool("XMODAL_TRAINER_ALL_PAIRS", true),
        source.positiveInt("XMODAL_TRAINER_LEARNED_MAX_PAIRS", 50_000),
        references(source),
        source.positiveInt("XMODAL_DLQ_PAYLOAD_CAP", RejectionFactory.DEFAULT_PAYLOAD_CAP),
        platform.topics().maxMappingBytes(),
        platform.metricsInterval());
    referencesFit(c.references(), c.search(), c.maxModelBytes());
    return c;
  }

  /**
   * Refuses caps whose references alone, mapped at the grid's smallest k, would not fit a version: every candidate
   * with a hubness correction would then be passed over at each refit, found only when the first refit ends.
   */
  static void referencesFit(ReferenceCaps caps, ModelSearch.Options search, int maxModelBytes) {
    int k = Arrays.stream(search.ccaDims()).min().orElseThrow();
    long bytes = ((long) caps.captions() + caps.images()) * (k + 4L);
    if (bytes > maxModelBytes) {
      throw new ConfigException(String.format("XMODAL_TRAINER_REFERENCE_CAPTIONS (%d) and "
          + "XMODAL_TRAINER_REFERENCE_IMAGES (%d) need %,d bytes of references even at k = %d, more than a mapping "
          + "version may hold (%,d: XMODAL_MAX_MESSAGE_BYTES less 64 KiB); lower them or raise "
          + "XMODAL_MAX_MESSAGE_BYTES", caps.captions(), caps.images(), bytes, k, maxModelBytes));
    }
  }

  private static ReferenceCaps references(ConfigSource source) {
    int captions = source.positiveInt("XMODAL_TRAINER_REFERENCE_CAPTIONS", ReferenceCaps.DEFAULT.captions());
    int images = source.positiveInt("XMODAL_TRAINER_REFERENCE_IMAGES", ReferenceCaps.DEFAULT.images());
    if (captions < ReferenceCaps.MIN || images < ReferenceCaps.MIN) {
      throw new ConfigException("XMODAL_TRAINER_REFERENCE_CAPTIONS and XMODAL_TRAINER_REFERENCE_IMAGES must be at "
          + "least " + ReferenceCaps.MIN + " (CSLS averages up to the 40 nearest references), got " + captions
          + " and " + images);
    }
    return new ReferenceCaps(captions, images);
  }

  private static List<LearnedOptions> learned(ConfigSource source) {
    if (!source.bool("XMODAL_TRAINER_LEARNED", true)) {
      return List.of();
    }
    int epochs = source.positiveInt("XMODAL_TRAINER_EPOCHS", 30);
    DeviceChoice device = source.enumValue("XMODAL_DEVICE", DeviceChoice.class,
        DeviceChoice.AUTO);
    int members = source.positiveInt("XMODAL_TRAINER_GMLP_MEMBERS",
        LearnedOptions.defaults(Method.GMLP).members());
    return LearnedOptions.all(epochs, device).stream()
        .map(o -> o.kind() == Method.GMLP && o.freezeStart() ? o.withMembers(members) : o)
        .toList();
  }
}
