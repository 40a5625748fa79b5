-- wrk script for plain GETs: prints the 95th percentile, which `wrk --latency` leaves out.
function done(summary, latency, requests)
  io.write(string.format("p95 %.2fms\n", latency:percentile(95) / 1000))
end
