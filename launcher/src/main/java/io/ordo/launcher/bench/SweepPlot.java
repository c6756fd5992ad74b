package io.ordo.launcher.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Renders a sweep (several open-loop steps per target) as a PNG with JFreeChart, headless: on
 * top, committed/s versus offered load per target (and the line y = x); below, p50 (solid) and
 * p99 (dashed) latency in ms versus offered load per target; all axes logarithmic (a committed/s
 * of 0 is drawn at 0.1). Closed-loop steps (offered 0) are left out.
 */
public final class SweepPlot {
  /** Width of the image in pixels. */
  public static final int WIDTH_PX = 1000;

  /** Height of the image in pixels. */
  public static final int HEIGHT_PX = 800;

  private static final BasicStroke SOLID = new BasicStroke(2.0f);
  private static final BasicStroke DASHED = new BasicStroke(2.0f, BasicStroke.CAP_BUTT,
      BasicStroke.JOIN_MITER, 10.0f, new float[] {6.0f, 4.0f}, 0.0f);

  private SweepPlot() {}

  /** Ordo red, Ordo SQL orange, PostgreSQL blue, anything else dark grey. */
  private static Color colorOf(String target) {
    return switch (target) {
      case YcsbtBench.ORDO -> new Color(0xC0, 0x30, 0x30);
      case YcsbtBench.ORDO_SQL -> new Color(0xE0, 0x8A, 0x10);
      case YcsbtBench.POSTGRES -> new Color(0x30, 0x50, 0xC0);
      default -> Color.DARK_GRAY;
    };
  }

  private static LogarithmicAxis logAxis(String label) {
    LogarithmicAxis axis = new LogarithmicAxis(label);
    axis.setAllowNegativesFlag(false);
    axis.setStrictValuesFlag(false);
    axis.setExpTickLabelsFlag(false);
    return axis;
  }

  /**
   * Writes the plot.
   *
   * @param runs the steps; those with offered rate 0 are ignored
   * @param title the chart's title
   * @param file the PNG to write (overwritten)
   * @return false (and no file) when no step has an offered rate
   * @throws IOException if the file cannot be written
   */
  public static boolean write(List<LoadRunner.StepResult> runs, String title, Path file)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    Map<String, XYSeries> throughput = new LinkedHashMap<>();
    Map<String, XYSeries> latency = new LinkedHashMap<>();
    double maxOffered = 0;
    double minOffered = Double.MAX_VALUE;
    for (LoadRunner.StepResult r : runs) {
      if (r.offeredRate() <= 0) {
        continue;
      }
      maxOffered = Math.max(maxOffered, r.offeredRate());
      minOffered = Math.min(minOffered, r.offeredRate());
      throughput.computeIfAbsent(r.target(),
              t -> new XYSeries(YcsbtReport.label(t) + " committed/s"))
          .add(r.offeredRate(), Math.max(0.1, r.committedPerSecond()));
      if (r.latency().getTotalCount() > 0) {
        // Log axes cannot show 0; a latency below 0.01 ms is drawn at 0.01 ms.
        latency.computeIfAbsent(r.target() + " p50",
                t -> new XYSeries(YcsbtReport.label(r.target()) + " p50 ms"))
            .add(r.offeredRate(), Math.max(0.01, YcsbtReport.ms(r.latency(), 50.0)));
        latency.computeIfAbsent(r.target() + " p99",
                t -> new XYSeries(YcsbtReport.label(r.target()) + " p99 ms"))
            .add(r.offeredRate(), Math.max(0.01, YcsbtReport.ms(r.latency(), 99.0)));
      }
    }
    if (throughput.isEmpty()) {
      return false;
    }
    XYSeriesCollection tp = new XYSeriesCollection();
    XYSeries ideal = new XYSeries("offered (ideal)");
    ideal.add(minOffered, minOffered);
    ideal.add(maxOffered, maxOffered);
    tp.addSeries(ideal);
    throughput.values().forEach(tp::addSeries);
    XYLineAndShapeRenderer tpRenderer = new XYLineAndShapeRenderer(true, true);
    tpRenderer.setSeriesPaint(0, Color.GRAY);
    tpRenderer.setSeriesStroke(0, DASHED);
    tpRenderer.setSeriesShapesVisible(0, false);
    int i = 1;
    for (String target : throughput.keySet()) {
      tpRenderer.setSeriesPaint(i, colorOf(target));
      tpRenderer.setSeriesStroke(i++, SOLID);
    }
    LogarithmicAxis tpAxis = logAxis("committed txn/s (log)");
    XYPlot tpPlot = new XYPlot(tp, null, tpAxis, tpRenderer);

    XYSeriesCollection lat = new XYSeriesCollection();
    latency.values().forEach(lat::addSeries);
    XYLineAndShapeRenderer latRenderer = new XYLineAndShapeRenderer(true, true);
    i = 0;
    for (String series : latency.keySet()) {
      // "<target> p50" solid, "<target> p99" dashed, in the target's colour.
      String target = series.substring(0, series.lastIndexOf(' '));
      latRenderer.setSeriesPaint(i, colorOf(target));
      latRenderer.setSeriesStroke(i++, series.endsWith("p99") ? DASHED : SOLID);
    }
    XYPlot latPlot = new XYPlot(lat, null, logAxis("latency ms (log)"), latRenderer);

    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(logAxis("offered txn/s (log)"));
    plot.setGap(12.0);
    plot.add(tpPlot, 1);
    plot.add(latPlot, 1);
    for (XYPlot p : List.of(tpPlot, latPlot)) {
      p.setBackgroundPaint(Color.WHITE);
      p.setDomainGridlinePaint(Color.GRAY);
      p.setRangeGridlinePaint(Color.GRAY);
    }
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH_PX, HEIGHT_PX);
    return true;
  }
}
