# Draws one lab run: cost per operation and total throughput against threads,
# one line per implementation and operation, from the run's summary.csv.
# Called by harness/plot with: summary, out (file name without extension),
# title, series (space-separated "impl/op" names), xt (x tics, e.g. "(1,2,4)"),
# div and unit (throughput is drawn as ops/s / div, labelled unit: the plot
# script picks them so the axis reads in whole numbers), haswrong (1 when a
# result lost updates), term (png or svg).
set datafile separator ","
set key outside right top vertical samplen 2 spacing 1.2
set grid lc rgb "#dddddd"
set xlabel "threads"
set logscale x 2
eval "set xtics ".xt
set offsets graph 0.05, graph 0.05, 0, 0
if (term eq "svg") { set terminal svg size 1400,520 dynamic font "Sans,12" } else { set terminal pngcairo size 1400,520 font "Sans,11" }
set output out.".".term
set multiplot layout 1,2 title title font ",13" margins 0.07,0.83,0.15,0.85 spacing 0.08

match(s, i, o) = (strcol(1) eq s[1:strstrt(s,"/")-1] && strcol(2) eq s[strstrt(s,"/")+1:])
set title "cost: wall ns per operation, per thread (median; bars: min..max)"
set ylabel "ns / op"
set logscale y
unset key
# A result that lost updates (lost_fraction_median, column 11, above 0) is
# wrong however fast it ran: a red cross over it, and how much it lost.
wrong(col) = (column(11) > 0 ? column(col) : NaN)
if (haswrong) {
plot for [s in series] summary skip 1 using 3:(match(s,0,0) ? $5 : NaN):6:7 with yerrorlines lw 2 pt 7 title s, \
     summary skip 1 using 3:(wrong(5)) with points pt 2 ps 3 lw 3 lc rgb "#d00000" notitle, \
     summary skip 1 using 3:(wrong(5)):(sprintf("wrong: %.0f%% lost", 100 * $11)) with labels offset 0,1.2 tc rgb "#d00000" font ",9" notitle
} else {
plot for [s in series] summary skip 1 using 3:(match(s,0,0) ? $5 : NaN):6:7 with yerrorlines lw 2 pt 7 title s
}

set title "throughput: operations per second, all threads together"
set ylabel unit
set key
if (haswrong) {
plot for [s in series] summary skip 1 using 3:(match(s,0,0) ? $8/div : NaN) with linespoints lw 2 pt 7 title s, \
     summary skip 1 using 3:(wrong(8)/div) with points pt 2 ps 3 lw 3 lc rgb "#d00000" title "wrong result (updates lost)"
} else {
plot for [s in series] summary skip 1 using 3:(match(s,0,0) ? $8/div : NaN) with linespoints lw 2 pt 7 title s
}
unset multiplot
