/**
 * Benchmarks, not tests: JMH micro-benchmarks, the end-to-end throughput harness ({@code Bench}, its Angus Mail peer
 * {@code AngusBench}) and the memory checks that {@code run-matrix.sh} and {@code run-memory.sh} run. Not API.
 */
package io.reactivesmtp.benchmarks;
