// The demo (two example services and a trace waterfall) arrives with the
// examples; until then this says what exists.
console.log('tracewire demo: the example services are not built yet.');
console.log('What exists: @tracewire/core (packages/core). Run the tests with: npx -y pnpm@10.34.9 test');
