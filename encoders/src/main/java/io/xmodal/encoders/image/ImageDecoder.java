package io.xmodal.encoders.image;

import io.xmodal.encoders.EncodingException;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Bytes to an upright RGB image: any format ImageIO reads (JPEG through TwelveMonkeys, so CMYK and YCCK JPEGs work),
 * EXIF orientation applied, grayscale and palette images expanded, transparency composited onto white.
 */
public final class ImageDecoder {

  private ImageDecoder() {}

  public static BufferedImage decodeRgb(byte[] bytes) {
    BufferedImage decoded;
    try {
      decoded = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) {
      throw new EncodingException("cannot decode image: " + e.getMessage(), e);
    }
    if (decoded == null) {
      throw new EncodingException("cannot decode image: no reader for this format");
    }
    return orient(toRgb(decoded), ExifOrientation.of(bytes));
  }

  /** A TYPE_INT_RGB copy; transparent pixels become white. */
  static BufferedImage toRgb(BufferedImage src) {
    if (src.getType() == BufferedImage.TYPE_INT_RGB) {
      return src;
    }
    BufferedImage rgb = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, src.getWidth(), src.getHeight());
    g.drawImage(src, 0, 0, null);
    g.dispose();
    return rgb;
  }

  /** Applies an EXIF orientation (1–8) so the image is upright. */
  static BufferedImage orient(BufferedImage src, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return src;
    }
    int w = src.getWidth();
    int h = src.getHeight();
    boolean swap = orientation >= 5;
    BufferedImage dst = new BufferedImage(swap ? h : w, swap ? w : h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = src.getRGB(x, y);
        switch (orientation) {
          case 2 -> dst.setRGB(w - 1 - x, y, rgb);
          case 3 -> dst.setRGB(w - 1 - x, h - 1 - y, rgb);
          case 4 -> dst.setRGB(x, h - 1 - y, rgb);
          case 5 -> dst.setRGB(y, x, rgb);
          case 6 -> dst.setRGB(h - 1 - y, x, rgb);
          case 7 -> dst.setRGB(h - 1 - y, w - 1 - x, rgb);
          default -> dst.setRGB(y, w - 1 - x, rgb);
        }
      }
    }
    return dst;
  }

  /** Bilinear resize to exactly {@code width × height} (aspect ratio not kept, as the dataset was prepared). */
  public static BufferedImage resize(BufferedImage src, int width, int height) {
    if (src.getWidth() == width && src.getHeight() == height) {
      return src;
    }
    BufferedImage current = src;
    // halve first while far too large, so bilinear sampling does not alias
    while (current.getWidth() >= 2 * width && current.getHeight() >= 2 * height) {
      current = draw(current, current.getWidth() / 2, current.getHeight() / 2);
    }
    return draw(current, width, height);
  }

  private static BufferedImage draw(BufferedImage src, int width, int height) {
    BufferedImage dst = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = dst.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    g.drawImage(src, 0, 0, width, height, null);
    g.dispose();
    return dst;
  }
}
