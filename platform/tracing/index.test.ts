import { ConfigError } from '../config';
import { tracingRequested } from '.';

describe('tracingRequested: tracing is off unless the standard OTEL_* variables ask for it', () => {
  it('is off with no OTEL_* variable, or with them set to empty strings', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: ' ' })).toBe(false);
  });

  it('is on when an OTLP endpoint or a traces exporter is named', () => {
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
  });

  it('is off when OTEL_SDK_DISABLED is true or the exporter is none, whatever the endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' };
    expect(tracingRequested({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(tracingRequested({ ...endpoint, OTEL_SDK_DISABLED: 'false' })).toBe(true);
    expect(tracingRequested({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('stops start-up naming the variable when an endpoint is not a URL', () => {
    expect(() => tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' })).toThrow(ConfigError);
    expect(() => tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});
