# One workload of a harness run: throughput and speedup against workers, one
# line per regime, with the ideal (linear scaling) for reference. harness/plot
# passes: data (summary rows of this workload: summary.csv's columns), out,
# title, regimes (space-separated), xt (x tics), ideal1 (the best 1-worker
# throughput, ops/s), term (png or svg).
set datafile separator ","
set grid lc rgb "#dddddd"
set xlabel "workers"
set logscale x 2
eval "set xtics ".xt
set offsets graph 0.05, graph 0.05, 0, 0
set samples 200
set key outside right top vertical samplen 2 spacing 1.2
if (term eq "svg") { set terminal svg size 1400,520 dynamic font "Sans,12" } else { set terminal pngcairo size 1400,520 font "Sans,11" }
set output out.".".term
set multiplot layout 1,2 title title font ",13" margins 0.07,0.83,0.15,0.85 spacing 0.08

set title "throughput, all workers (median; bars: min..max)"
set ylabel "Mops / s"
set logscale y
unset key
plot for [r in regimes] data using 3:(strcol(2) eq r ? $8/1e6 : NaN):($9/1e6):($10/1e6) with yerrorlines lw 2 pt 7 title r, \
     ideal1 * x / 1e6 with lines dt 2 lc rgb "#888888" title "ideal"

set title "speedup against 1 worker of the same regime"
set ylabel "speedup"
unset logscale y
set yrange [0:*]
set key
plot for [r in regimes] data using 3:(strcol(2) eq r ? $11 : NaN) with linespoints lw 2 pt 7 title r, \
     x with lines dt 2 lc rgb "#888888" title "ideal"
unset multiplot
