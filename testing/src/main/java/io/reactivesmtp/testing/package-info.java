/**
 * SMTP servers that run inside the test JVM on loopback, for this project's tests and for applications' own tests (as
 * OkHttp's mockwebserver is for HTTP): {@link io.reactivesmtp.testing.ScriptedSmtpServer} plays a
 * {@link io.reactivesmtp.testing.Script} line by line (faults, hostile replies, STARTTLS);
 * {@link io.reactivesmtp.testing.SubethaSmtpServer} is a real server (SubEthaSMTP) that records what it accepted;
 * {@link io.reactivesmtp.testing.TestPki} issues the certificates both need; {@link io.reactivesmtp.testing.ReadmeCode}
 * holds this project's README examples to the code its tests run. Public types are API; the
 * package-private ones are the scripted server's workings.
 */
package io.reactivesmtp.testing;
