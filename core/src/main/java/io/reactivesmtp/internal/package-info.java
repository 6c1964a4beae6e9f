/**
 * Not API: helpers the other packages of the core module (and the project's own modules) share. Applications must
 * not use these types; they may change in any release.
 */
package io.reactivesmtp.internal;
