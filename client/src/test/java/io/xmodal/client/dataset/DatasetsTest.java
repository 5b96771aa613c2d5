package io.xmodal.client.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

  private static final Path FLICKR = Path.of(System.getProperty("xmodal.shared.dir", "../../shared"))
      .resolve("datasets").resolve("flickr8k");

  @Test
  void shouldReadTheDevSplitWithFiveCaptionsPerImage() {
    Dataset dev = Flickr8k.load(FLICKR, Split.DEV, 0);

    assertThat(dev.name()).isEqualTo("flickr8k:dev");
    assertThat(dev.images()).hasSize(1000);
    assertThat(dev.captions()).hasSize(5000);
    Dataset.Caption first = dev.captions().get(0);
    assertThat(first.captionId()).isEqualTo(first.imageId() + "#0");
    assertThat(dev.images().get(0).imageId()).isEqualTo(first.imageId());
    assertThat(Flickr8k.presentSplits(FLICKR)).isEqualTo(Set.of(Split.TRAIN, Split.DEV));
  }

  @Test
  void shouldLimitImagesAndKeepTheirCaptions() {
    Dataset some = Flickr8k.load(FLICKR, Split.TRAIN, 3);

    assertThat(some.images()).hasSize(3);
    assertThat(some.captions()).hasSize(15);
  }

  @Test
  void shouldSayWhichSplitsArePresentWhenOneIsMissing() {
    assertThatThrownBy(() -> Flickr8k.load(FLICKR, Split.TEST, 0)).isInstanceOf(DatasetException.class)
        .hasMessageContaining("split 'test'").hasMessageContaining("present: train, dev");
  }

  @Test
  void shouldExplainAMissingFolder(@TempDir Path dir) {
    assertThatThrownBy(() -> Flickr8k.load(dir.resolve("nope"), Split.DEV, 0)).isInstanceOf(DatasetException.class)
        .hasMessageContaining("no dataset folder").hasMessageContaining("--path");
  }

  @Test
  void shouldNameTheLineOfAMalformedTokenFile(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("images"));
    Files.writeString(dir.resolve("Flickr8k.token.txt"), "a.jpg#0\tfine\nthis line has no tab\n");
    Files.writeString(dir.resolve("Flickr_8k.devImages.txt"), "a.jpg\n");

    assertThatThrownBy(() -> Flickr8k.load(dir, Split.DEV, 0)).isInstanceOf(DatasetException.class)
        .hasMessageContaining("Flickr8k.token.txt:2").hasMessageContaining("IMAGE.jpg#K<TAB>caption");
  }

  @Test
  void shouldRefuseAFileThatIsNotUtf8(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.csv");
    Files.write(file, new byte[] {'i', 'm', 'a', 'g', 'e', ',', 'c', 'a', 'p', 't', 'i', 'o', 'n', '\n', 'a', ',',
        (byte) 0xC3, 0x28, '\n'});

    assertThatThrownBy(() -> FolderDataset.readCsv(file)).isInstanceOf(DatasetException.class)
        .hasMessageContaining("c.csv:2").hasMessageContaining("UTF-8");
  }

  @Test
  void shouldReadCsvWithQuotesAndJsonlCaptions(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("c.csv");
    Files.writeString(csv, "image,caption\na.jpg,\"a dog, running\"\na.jpg,\"say \"\"hi\"\"\"\n");
    Path jsonl = dir.resolve("c.jsonl");
    Files.writeString(jsonl, "{\"image\":\"b.png\",\"caption\":\"a cat\",\"caption_id\":\"cat-1\"}\n");

    assertThat(FolderDataset.readCsv(csv)).containsExactly(
        new Dataset.Caption("a.jpg#0", "a.jpg", "a dog, running"), new Dataset.Caption("a.jpg#1", "a.jpg", "say \"hi\""));
    assertThat(FolderDataset.readJsonl(jsonl)).containsExactly(new Dataset.Caption("cat-1", "b.png", "a cat"));
  }

  @Test
  void shouldPairFolderImagesWithTheirCaptions(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("a.jpg"), new byte[] {1});
    Files.write(dir.resolve("notes.txt"), new byte[] {1});
    Path csv = dir.resolve("captions.csv");
    Files.writeString(csv, "image,caption\na.jpg,one\nmissing.jpg,two\n");

    Dataset d = FolderDataset.load(dir, csv, 0);

    assertThat(d.images()).extracting(Dataset.Image::imageId).containsExactly("a.jpg");
    assertThat(d.captions()).extracting(Dataset.Caption::text).isEqualTo(List.of("one"));
  }

  @Test
  void shouldNameTheLineOfABadJsonlRow(@TempDir Path dir) throws Exception {
    Path jsonl = dir.resolve("c.jsonl");
    Files.writeString(jsonl, "{\"image\":\"a.jpg\",\"caption\":\"x\"}\n{\"image\":\"a.jpg\"}\n");

    assertThatThrownBy(() -> FolderDataset.readJsonl(jsonl)).hasMessageContaining("c.jsonl:2");
  }
}
