package dev.sublinear.study;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The study's PNG plots, drawn with XChart. */
final class Plots {

    static final String LOSS_CURVES = "loss-curves.png";
    static final String VALIDATION = "validation-loss.png";
    static final String MEMORY = "memory.png";

    private static final Color[] SEED_COLORS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd), new Color(0xff7f0e)
    };
    private static final Color[] VARIANT_COLORS = {
        new Color(0x000000), new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2),
        new Color(0x7f7f7f), new Color(0x17becf)
    };
    private static final int PANEL_WIDTH = 560;
    private static final int PANEL_HEIGHT = 360;
    private static final int COLUMNS = 2;

    private Plots() {
        // headless: the study runs on servers and in CI without a display
    }

    static void writeAll(List<VariantSummary> summaries, Path directory) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(directory);
        lossCurves(summaries, directory.resolve(LOSS_CURVES));
        validation(summaries, directory.resolve(VALIDATION));
        memory(summaries, directory.resolve(MEMORY));
    }

    /** One panel per variant: every seed's training loss, on one shared logarithmic scale. */
    static void lossCurves(List<VariantSummary> summaries, Path file) throws IOException {
        double low = Double.POSITIVE_INFINITY;
        double high = 0;
        for (VariantSummary s : summaries) {
            for (RunResult r : s.runs()) {
                for (float loss : r.trainLosses()) {
                    if (Float.isFinite(loss) && loss > 0) {
                        low = Math.min(low, loss);
                        high = Math.max(high, loss);
                    }
                }
            }
        }
        List<BufferedImage> panels = new ArrayList<>();
        for (VariantSummary s : summaries) {
            XYChart chart = xyChart(s.variant().id(), "step", "training loss");
            if (high > 0) {
                chart.getStyler().setYAxisMin(low).setYAxisMax(high);
                // a log axis labels only whole decades: under one decade it would show no numbers
                chart.getStyler().setYAxisLogarithmic(high / low >= 10);
            }
            int seedIndex = 0;
            for (RunResult r : s.runs()) {
                float[] losses = r.trainLosses();
                List<Double> x = new ArrayList<>();
                List<Double> y = new ArrayList<>();
                for (int i = 0; i < losses.length; i++) {
                    if (Float.isFinite(losses[i]) && losses[i] > 0) {
                        x.add((double) (i + 1));
                        y.add((double) losses[i]);
                    }
                }
                if (x.isEmpty()) {
                    continue;
                }
                String name = "seed " + r.seed() + (r.failed() ? " (failed at step " + (r.steps() + 1) + ")" : "");
                XYSeries series = chart.addSeries(name, x, y);
                series.setMarker(SeriesMarkers.NONE);
                series.setLineWidth(1f);
                series.setLineColor(SEED_COLORS[seedIndex++ % SEED_COLORS.length]);
            }
            panels.add(BitmapEncoder.getBufferedImage(chart));
        }
        writeGrid(panels, file);
    }

    /** Mean validation loss over the seeds, every variant on one chart. */
    static void validation(List<VariantSummary> summaries, Path file) throws IOException {
        XYChart chart = new XYChartBuilder()
                .width(1100)
                .height(620)
                .title("Validation loss (mean over seeds)")
                .xAxisTitle("step")
                .yAxisTitle("validation loss")
                .build();
        style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        int index = 0;
        for (VariantSummary s : summaries) {
            Map<Integer, double[]> byStep = new TreeMap<>();
            for (RunResult r : s.runs()) {
                for (RunResult.Point p : r.validation()) {
                    double[] sum = byStep.computeIfAbsent(p.step(), k -> new double[2]);
                    sum[0] += p.loss();
                    sum[1]++;
                }
            }
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            byStep.forEach((step, sum) -> {
                double mean = sum[0] / sum[1];
                if (Double.isFinite(mean) && mean > 0) {
                    x.add(step.doubleValue());
                    y.add(mean);
                }
            });
            if (x.isEmpty()) {
                continue;
            }
            XYSeries series = chart.addSeries(s.variant().id(), x, y);
            series.setMarker(SeriesMarkers.CIRCLE);
            series.setLineWidth(1.5f);
            Color color = VARIANT_COLORS[index++ % VARIANT_COLORS.length];
            series.setLineColor(color);
            series.setMarkerColor(color);
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Optimizer state of each variant against Adam's, logarithmic: the factored state is orders smaller. */
    static void memory(List<VariantSummary> summaries, Path file) throws IOException {
        CategoryChart chart = new CategoryChartBuilder()
                .width(1100)
                .height(520)
                .title("Optimizer state (KiB, log scale)")
                .xAxisTitle("variant")
                .yAxisTitle("KiB")
                .build();
        chart.getStyler().setAvailableSpaceFill(0.6).setLabelsVisible(true).setDecimalPattern("#,##0.0");
        chart.getStyler().setYAxisLogarithmic(true).setXAxisLabelRotation(20);
        chart.getStyler().setChartBackgroundColor(Color.WHITE).setLegendPosition(Styler.LegendPosition.OutsideS);
        List<String> names = new ArrayList<>();
        List<Number> state = new ArrayList<>();
        List<Number> adam = new ArrayList<>();
        for (VariantSummary s : summaries) {
            if (s.stateBytes() <= 0) {
                continue;
            }
            names.add(s.variant().id());
            state.add(s.stateBytes() / 1024.0);
            adam.add(s.adamBytes() / 1024.0);
        }
        if (!names.isEmpty()) {
            // bars grow from the axis minimum, which a logarithmic axis must be given above zero
            double smallest =
                    state.stream().mapToDouble(Number::doubleValue).min().getAsDouble();
            chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(smallest))));
            chart.addSeries("this variant's state", names, state).setFillColor(new Color(0x1f77b4));
            chart.addSeries("Adam's state for the same model", names, adam).setFillColor(new Color(0xbbbbbb));
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart xyChart(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder()
                .width(PANEL_WIDTH)
                .height(PANEL_HEIGHT)
                .title(title)
                .xAxisTitle(xTitle)
                .yAxisTitle(yTitle)
                .build();
        style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        return chart;
    }

    private static void style(XYChart chart) {
        chart.getStyler().setPlotGridLinesVisible(true);
        chart.getStyler().setYAxisLogarithmic(true).setMarkerSize(4);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
    }

    private static void writeGrid(List<BufferedImage> panels, Path file) throws IOException {
        int rows = Math.max(1, (panels.size() + COLUMNS - 1) / COLUMNS);
        BufferedImage grid = new BufferedImage(PANEL_WIDTH * COLUMNS, PANEL_HEIGHT * rows, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
            for (int i = 0; i < panels.size(); i++) {
                g.drawImage(panels.get(i), (i % COLUMNS) * PANEL_WIDTH, (i / COLUMNS) * PANEL_HEIGHT, null);
            }
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(grid, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }
}
