# The convoy effect: the I/O worker's response latency against the GIL's
# switch interval (log-log), p50 and p99 under the GIL, and without it for
# reference, and CPython's own convoy (rows of regime cpython, from
# harness/cpython) when the run has one. harness/plot passes: data (summary rows of convoy), out, title,
# term (png or svg), nogil (p50 without the GIL, us).
set datafile separator ","
set grid lc rgb "#dddddd"
set logscale xy
set samples 200
set xlabel "switch interval (us)"
set ylabel "I/O response latency (us)"
set key outside right top vertical samplen 2 spacing 1.2
if (term eq "svg") { set terminal svg size 1000,560 dynamic font "Sans,12" } else { set terminal pngcairo size 1000,560 font "Sans,11" }
set output out.".".term
set title title font ",12"
set lmargin 10
set rmargin 32
plot data using 4:(strcol(2) eq "gil" ? $14 : NaN) with linespoints lw 2 pt 7 title "gil, p50", \
     data using 4:(strcol(2) eq "gil" ? $15 : NaN) with linespoints lw 2 pt 5 dt 3 title "gil, p99", \
     x with lines dt 2 lc rgb "#888888" title "one interval", \
     nogil with lines lw 2 title "no GIL (object), p50", \
     data using 4:(strcol(2) eq "cpython" ? $14 : NaN) with linespoints lw 2 pt 9 lc rgb "#e76f51" title "CPython, p50", \
     data using 4:(strcol(2) eq "cpython" ? $15 : NaN) with linespoints lw 1 pt 8 dt 3 lc rgb "#e76f51" title "CPython, p99"
