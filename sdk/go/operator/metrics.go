package operator

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics of one server, in its own registry (servers in one process don't clash).
type metrics struct {
	registry    *prometheus.Registry
	items       *prometheus.CounterVec
	itemSeconds *prometheus.HistogramVec
	calls       *prometheus.CounterVec
	batchSize   *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	capacity    prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry:    prometheus.NewRegistry(),
		items:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quarry_operator_items_total", Help: "Items answered, by operator, status and error code"}, []string{"operator", "status", "code"}),
		itemSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "quarry_operator_item_duration_seconds", Help: "Time from receipt to answer of one item", Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}}, []string{"operator"}),
		calls:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quarry_operator_calls_total", Help: "gRPC calls, by method and outcome"}, []string{"method", "outcome"}),
		batchSize:   prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "quarry_operator_batch_items", Help: "Items per batch handler call", Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}}, []string{"operator"}),
		inFlight:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "quarry_operator_in_flight", Help: "Calls being served"}),
		capacity:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "quarry_operator_capacity", Help: "Calls served at once before RESOURCE_EXHAUSTED"}),
	}
	m.registry.MustRegister(m.items, m.itemSeconds, m.calls, m.batchSize, m.inFlight, m.capacity)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
