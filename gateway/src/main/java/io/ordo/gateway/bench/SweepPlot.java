package io.ordo.gateway.bench;

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
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Renders a sweep (several open-loop steps per target) as a PNG with JFreeChart, headless: on
 * top, committed/s versus offered load per target (and the line y = x); below, p50 and p99
 * latency in ms (log scale) versus offered load per target. Closed-loop steps (offered 0) are
 * left out.
 */
public final class SweepPlot {
  /** Width of the image in pixels. */
  public static final int WIDTH_PX = 1000;

  /** Height of the image in pixels. */
  public static final int HEIGHT_PX = 800;

  private SweepPlot() {}

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
    for (LoadRunner.StepResult r : runs) {
      if (r.offeredRate() <= 0) {
        continue;
      }
      maxOffered = Math.max(maxOffered, r.offeredRate());
      throughput.computeIfAbsent(r.target(), t -> new XYSeries(t + " committed/s"))
          .add(r.offeredRate(), r.committedPerSecond());
      if (r.latency().getTotalCount() > 0) {
        // Log axes cannot show 0; a latency below 0.01 ms is drawn at 0.01 ms.
        latency.computeIfAbsent(r.target() + " p50", t -> new XYSeries(t + " ms"))
            .add(r.offeredRate(), Math.max(0.01, YcsbtReport.ms(r.latency(), 50.0)));
        latency.computeIfAbsent(r.target() + " p99", t -> new XYSeries(t + " ms"))
            .add(r.offeredRate(), Math.max(0.01, YcsbtReport.ms(r.latency(), 99.0)));
      }
    }
    if (throughput.isEmpty()) {
      return false;
    }
    XYSeriesCollection tp = new XYSeriesCollection();
    XYSeries ideal = new XYSeries("offered (ideal)");
    ideal.add(0, 0);
    ideal.add(maxOffered, maxOffered);
    tp.addSeries(ideal);
    throughput.values().forEach(tp::addSeries);
    XYLineAndShapeRenderer tpRenderer = new XYLineAndShapeRenderer(true, true);
    tpRenderer.setSeriesPaint(0, Color.LIGHT_GRAY);
    tpRenderer.setSeriesStroke(0, new BasicStroke(1.0f, BasicStroke.CAP_BUTT,
        BasicStroke.JOIN_MITER, 10.0f, new float[] {4.0f, 4.0f}, 0.0f));
    tpRenderer.setSeriesShapesVisible(0, false);
    XYPlot tpPlot = new XYPlot(tp, null, new NumberAxis("committed txn/s"), tpRenderer);

    XYSeriesCollection lat = new XYSeriesCollection();
    latency.values().forEach(lat::addSeries);
    LogarithmicAxis latAxis = new LogarithmicAxis("latency ms (log)");
    latAxis.setAllowNegativesFlag(false);
    latAxis.setStrictValuesFlag(false);
    XYPlot latPlot = new XYPlot(lat, null, latAxis, new XYLineAndShapeRenderer(true, true));

    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("offered txn/s"));
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
