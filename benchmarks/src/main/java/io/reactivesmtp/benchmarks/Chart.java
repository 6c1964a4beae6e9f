package io.reactivesmtp.benchmarks;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Draws the matrix written by {@code run-matrix.sh} as one PNG of two panels of grouped bars (XChart): msgs/s per
 * cell per peer on top, CPU µs per message below.
 * <pre>
 * java -Djava.awt.headless=true -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.Chart \
 *     benchmarks/results/matrix.tsv benchmarks/results/throughput.png ["subtitle"]
 * </pre>
 * The TSV has a header line and one row per cell and peer: {@code C L R peer msgs_per_s cpu_us_per_msg runs}
 * (tab separated; a value of {@code nan} is a failed cell and has no bar). Cells keep the order of the file;
 * peers are drawn in the order reactive-smtp, smtp-source, angus-mail, then any other.
 */
public final class Chart {

    private static final List<String> PEER_ORDER = List.of("reactive-smtp", "smtp-source", "angus-mail");
    private static final Color[] COLORS = {
            new Color(0x1f, 0x77, 0xb4), new Color(0xff, 0x7f, 0x0e), new Color(0x2c, 0xa0, 0x2c),
            new Color(0xd6, 0x27, 0x28), new Color(0x94, 0x67, 0xbd)};

    private Chart() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: Chart MATRIX.tsv OUT.png [subtitle]");
            System.exit(2);
            return;
        }
        System.setProperty("java.awt.headless", "true");
        Path tsv = Path.of(args[0]);
        Path out = Path.of(args[1]);
        String subtitle = args.length == 3 ? args[2] : "";

        Map<String, Map<String, double[]>> byPeer = new LinkedHashMap<>(); // peer -> cell -> {rate, cpu}
        Set<String> cells = new LinkedHashSet<>();
        List<String> lines = Files.readAllLines(tsv, StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length < 6) {
                throw new IllegalArgumentException("bad line in " + tsv + ": " + line);
            }
            String cell = cellLabel(f[0], f[1], f[2]);
            cells.add(cell);
            byPeer.computeIfAbsent(f[3], p -> new LinkedHashMap<>()).put(cell, new double[] {num(f[4]), num(f[5])});
        }
        if (cells.isEmpty()) {
            throw new IllegalArgumentException(tsv + " has no results");
        }
        List<String> peers = new ArrayList<>();
        for (String p : PEER_ORDER) {
            if (byPeer.containsKey(p)) {
                peers.add(p);
            }
        }
        for (String p : byPeer.keySet()) {
            if (!peers.contains(p)) {
                peers.add(p);
            }
        }

        List<String> x = new ArrayList<>(cells);
        CategoryChart rate = chart("Throughput, msgs/s, log scale (higher is better)"
                + (subtitle.isEmpty() ? "" : " - " + subtitle), "msgs/s", x.size());
        // Bodies of 100 KB make the rates span two orders of magnitude: on a linear axis the slow cells vanish.
        rate.getStyler().setYAxisLogarithmic(true);
        CategoryChart cpu = chart("CPU per message, µs (lower is better; client process only, the sink excluded)",
                "CPU µs / msg", x.size());
        double minRate = Double.MAX_VALUE;
        for (String peer : peers) {
            List<Double> rates = new ArrayList<>();
            List<Double> cpus = new ArrayList<>();
            for (String cell : x) {
                double[] v = byPeer.get(peer).get(cell);
                // A failed or missing run has no bar (null): 0 does not exist on the log axis.
                rates.add(v == null || v[0] <= 0 ? null : v[0]);
                cpus.add(v == null || v[1] <= 0 ? null : v[1]);
                if (v != null && v[0] > 0) {
                    minRate = Math.min(minRate, v[0]);
                }
            }
            rate.addSeries(peer, x, rates);
            cpu.addSeries(peer, x, cpus);
        }
        if (minRate < Double.MAX_VALUE) {
            rate.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(minRate / 3)))); // else 0: invalid on a log axis
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        String name = out.toString();
        String base = name.endsWith(".png") ? name.substring(0, name.length() - 4) : name;
        BitmapEncoder.saveBitmap(List.of(rate, cpu), 2, 1, base, BitmapEncoder.BitmapFormat.PNG);
        System.out.println("wrote " + base + ".png");
    }

    private static CategoryChart chart(String title, String yTitle, int categories) {
        CategoryChart chart = new CategoryChartBuilder()
                .width(Math.max(900, 170 * categories)).height(480)
                .title(title).xAxisTitle("cell: C connections, body size, R recipients per message").yAxisTitle(yTitle)
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setSeriesColors(COLORS);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        chart.getStyler().setLabelsRotation(90);
        chart.getStyler().setLabelsPosition(0.5);
        chart.getStyler().setDecimalPattern("#,##0");
        chart.getStyler().setYAxisDecimalPattern("#,##0");
        chart.getStyler().setAvailableSpaceFill(0.8);
        return chart;
    }

    /** "C=10, 1 KB, R=1": L is shown in KB (1000 bytes) when it is a multiple of 1000. */
    static String cellLabel(String c, String l, String r) {
        String size = l + " B";
        try {
            long bytes = Long.parseLong(l);
            if (bytes >= 1000 && bytes % 1000 == 0) {
                size = (bytes / 1000) + " KB";
            }
        } catch (NumberFormatException ignored) {
            // shown as it is
        }
        return "C=" + c + ", " + size + ", R=" + r;
    }

    private static double num(String s) {
        try {
            double v = Double.parseDouble(s);
            return Double.isFinite(v) ? v : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
