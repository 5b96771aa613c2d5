package io.xmodal.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VariantTest {

  @Test
  void shouldLabelEachVariantAsEventsAndTablesAlwaysShowedIt() {
    Variant cca = new Variant.Cca(0.3, 384, 1);

    assertThat(new Variant.LeastSquares(Fits.Direction.T2I, true, 0.1).label()).isEqualTo("t2i c+l2 λ=0.1");
    assertThat(new Variant.LeastSquares(Fits.Direction.I2T, false, 1.0).label()).isEqualTo("i2t l2 λ=1.0");
    assertThat(new Variant.Procrustes(Variant.Procrustes.Reduction.PCA, true).label()).isEqualTo("pca+c+l2");
    assertThat(new Variant.Procrustes(Variant.Procrustes.Reduction.PAD, false).label()).isEqualTo("pad+l2");
    assertThat(cca.label()).isEqualTo("c+l2 r=0.3 k=384 w=σ^1");
    assertThat(new Variant.Cca(0.01, 64, 0).label()).isEqualTo("c+l2 r=0.01 k=64");
    assertThat(new Variant.Cca(0.1, 128, 0.5).label()).isEqualTo("c+l2 r=0.1 k=128 w=σ^0.5");
    assertThat(new Variant.Cca(0.3, 256, 1, 2.0).label()).isEqualTo("c+l2 r=0.3/2.0 k=256 w=σ^1");
    assertThat(new Variant.Cca(1.0, 256, 1, 1.0)).isEqualTo(new Variant.Cca(1.0, 256, 1));
    assertThat(new Variant.Learned(Method.GMLP, 256, cca, "infonce").label())
        .isEqualTo("text-gmlp h=256 from c+l2 r=0.3 k=384 w=σ^1 infonce");
    assertThat(new Variant.Learned(Method.GMLP, 256, cca, "infonce", 3).label())
        .isEqualTo("text-gmlp h=256 x3 from c+l2 r=0.3 k=384 w=σ^1 infonce");
    assertThat(new Variant.Learned(Method.GMLP, 256, cca, "infonce", 3).family())
        .isEqualTo(new Variant.Learned(Method.GMLP, 256, cca, "infonce").family());
    assertThat(new Variant.Learned(Method.CONTRASTIVE, 0, cca, "mse").label())
        .isEqualTo("c+l2 from-cca r=0.3 k=384 w=σ^1 mse");
  }

  @Test
  void shouldKeepAGmlpLabelWithANonsenseBlockCountAsItIs() {
    for (String label : List.of("text-gmlp h=256 x0 from c+l2 r=0.3 k=384 w=σ^1 infonce",
        "text-gmlp h=256 x1 from c+l2 r=0.3 k=384 w=σ^1 infonce",
        "text-gmlp h=256 x99999999999 from c+l2 r=0.3 k=384 w=σ^1 infonce")) {
      assertThat(Variant.parse(Method.GMLP, label)).isEqualTo(new Variant.Opaque(label));
    }
    assertThat(Variant.parse(Method.GMLP, "text-gmlp h=256 x3 from c+l2 r=0.3 k=384 w=σ^1 infonce"))
        .isEqualTo(new Variant.Learned(Method.GMLP, 256, new Variant.Cca(0.3, 384, 1), "infonce", 3));
  }

  @Test
  void shouldGroupHyperparametersIntoOneFamily() {
    assertThat(new Variant.LeastSquares(Fits.Direction.T2I, true, 0.1).family())
        .isEqualTo(new Variant.LeastSquares(Fits.Direction.T2I, true, 1.0).family()).isEqualTo("t2i c+l2");
    assertThat(new Variant.Cca(0.3, 384, 1).family()).isEqualTo(new Variant.Cca(0.01, 64, 4).family())
        .isEqualTo("c+l2 weighted");
    assertThat(new Variant.Cca(0.3, 384, 0).family()).isEqualTo("c+l2");
  }

  @Test
  void shouldReadBackEveryLabelTheSearchAndTheLearnedMapsProduce() {
    ModelSearch.Options grid = ModelSearch.Options.defaults();
    List<Variant> all = new ArrayList<>();
    for (Fits.Direction d : Fits.Direction.values()) {
      for (double lambda : grid.lambdas()) {
        all.add(new Variant.LeastSquares(d, true, lambda));
        all.add(new Variant.LeastSquares(d, false, lambda));
      }
    }
    for (Variant.Procrustes.Reduction r : Variant.Procrustes.Reduction.values()) {
      all.add(new Variant.Procrustes(r, true));
      all.add(new Variant.Procrustes(r, false));
    }
    for (ModelSearch.CcaRidge ridge : grid.ccaRidges()) {
      for (int k : grid.ccaDims()) {
        for (double p : grid.ccaPowers()) {
          all.add(new Variant.Cca(ridge.text(), k, p, ridge.image()));
        }
      }
    }
    Variant start = new Variant.Cca(0.3, 384, 1);
    all.add(new Variant.Learned(Method.GMLP, 256, start, "infonce"));
    all.add(new Variant.Learned(Method.GMLP, 256, new Variant.Cca(0.3, 256, 1, 2.0), "infonce", 3));
    all.add(new Variant.Learned(Method.CONTRASTIVE, 0, new Variant.Cca(0.3, 256, 1, 2.0), "infonce"));
    all.add(new Variant.Learned(Method.GMLP, 256, start, "infonce", 3));
    all.add(new Variant.Learned(Method.CONTRASTIVE, 0, start, "infonce"));

    for (Variant v : all) {
      Method method = v instanceof Variant.LeastSquares ? Method.LEAST_SQUARES
          : v instanceof Variant.Procrustes ? Method.PROCRUSTES
          : v instanceof Variant.Cca ? Method.CCA : ((Variant.Learned) v).method();
      assertThat(Variant.parse(method, v.label())).as(v.label()).isEqualTo(v);
    }
  }

  @Test
  void shouldKeepAnUnknownLabelAsItIs() {
    Variant v = Variant.parse(Method.CCA, "a future variant");

    assertThat(v).isEqualTo(new Variant.Opaque("a future variant"));
    assertThat(v.label()).isEqualTo("a future variant");
  }
}
