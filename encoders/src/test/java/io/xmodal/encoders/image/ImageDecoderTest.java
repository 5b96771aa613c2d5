package io.xmodal.encoders.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.encoders.EncodingException;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {

  /** 40×20: left half red, right half blue. */
  static BufferedImage halves() {
    BufferedImage img = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.RED);
    g.fillRect(0, 0, 20, 20);
    g.setColor(Color.BLUE);
    g.fillRect(20, 0, 20, 20);
    g.dispose();
    return img;
  }

  static byte[] encode(BufferedImage img, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, format, out);
    return out.toByteArray();
  }

  /** Inserts an APP1 Exif segment with the given orientation right after the JPEG's SOI marker. */
  static byte[] withOrientation(byte[] jpeg, int orientation) {
    ByteBuffer tiff = ByteBuffer.allocate(26);
    tiff.put(new byte[] {'M', 'M', 0, 42}).putInt(8).putShort((short) 1)
        .putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0)
        .putInt(0);
    byte[] exif = new byte[6 + tiff.capacity()];
    System.arraycopy(new byte[] {'E', 'x', 'i', 'f', 0, 0}, 0, exif, 0, 6);
    System.arraycopy(tiff.array(), 0, exif, 6, tiff.capacity());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2);
    out.write(0xFF);
    out.write(0xE1);
    out.write((exif.length + 2) >> 8);
    out.write((exif.length + 2) & 0xFF);
    out.writeBytes(exif);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  static boolean reddish(int rgb) {
    return ((rgb >> 16) & 0xFF) > 180 && (rgb & 0xFF) < 80;
  }

  static boolean bluish(int rgb) {
    return (rgb & 0xFF) > 180 && ((rgb >> 16) & 0xFF) < 80;
  }

  @Test
  void shouldTurnAnImageUprightFromItsExifOrientation() throws Exception {
    byte[] rotated = withOrientation(encode(halves(), "jpg"), 6);

    BufferedImage upright = ImageDecoder.decodeRgb(rotated);

    // orientation 6: rotate 90° clockwise, so the left (red) half ends up on top
    assertThat(upright.getWidth()).isEqualTo(20);
    assertThat(upright.getHeight()).isEqualTo(40);
    assertThat(reddish(upright.getRGB(10, 5))).isTrue();
    assertThat(bluish(upright.getRGB(10, 35))).isTrue();
  }

  @Test
  void shouldMapEveryOrientationToTheRightShape() {
    BufferedImage src = halves();
    for (int o = 1; o <= 8; o++) {
      BufferedImage out = ImageDecoder.orient(src, o);
      boolean swapped = o >= 5;
      assertThat(out.getWidth()).as("orientation %d", o).isEqualTo(swapped ? 20 : 40);
    }
    assertThat(reddish(ImageDecoder.orient(src, 2).getRGB(35, 10))).isTrue();
    assertThat(reddish(ImageDecoder.orient(src, 3).getRGB(35, 10))).isTrue();
    assertThat(reddish(ImageDecoder.orient(src, 8).getRGB(10, 35))).isTrue();
  }

  @Test
  void shouldExpandGrayscaleToRgb() throws Exception {
    BufferedImage gray = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = gray.createGraphics();
    g.setColor(new Color(200, 200, 200));
    g.fillRect(0, 0, 8, 8);
    g.dispose();

    BufferedImage rgb = ImageDecoder.decodeRgb(encode(gray, "png"));

    assertThat(rgb.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
    int p = rgb.getRGB(4, 4);
    assertThat((p >> 16) & 0xFF).isEqualTo(p & 0xFF).isGreaterThan(150);
  }

  @Test
  void shouldCompositeTransparencyOntoWhite() throws Exception {
    BufferedImage argb = new BufferedImage(8, 8, BufferedImage.TYPE_INT_ARGB);
    argb.setRGB(0, 0, 0xFF000000);

    BufferedImage rgb = ImageDecoder.decodeRgb(encode(argb, "png"));

    assertThat(rgb.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0x000000);
    assertThat(rgb.getRGB(5, 5) & 0xFFFFFF).isEqualTo(0xFFFFFF);
  }

  @Test
  void shouldDecodeACmykJpeg() throws Exception {
    // a 4-channel JPEG as print workflows write it; the JDK's own reader refuses these
    WritableRaster raster = Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 16, 16, 4, null);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 16; x++) {
        raster.setPixel(x, y, new int[] {0, 255, 255, 0});
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    ImageWriter writer = writers.next();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new IIOImage(raster, null, null), null);
    }

    BufferedImage rgb = ImageDecoder.decodeRgb(out.toByteArray());

    assertThat(rgb.getWidth()).isEqualTo(16);
    assertThat(rgb.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
  }

  @Test
  void shouldRefuseBytesThatAreNoImage() {
    assertThatThrownBy(() -> ImageDecoder.decodeRgb(new byte[] {1, 2, 3})).isInstanceOf(EncodingException.class);
  }
}
