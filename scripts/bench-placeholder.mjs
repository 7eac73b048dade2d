// The benchmark harness arrives with its own issue; until then this says so.
console.log('tracewire bench: the benchmark harness is not built yet.');
