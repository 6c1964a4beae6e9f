package io.reactivesmtp.reactor.observation;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/** The observations the client makes, and their key names. */
public enum SmtpObservationDocumentation implements ObservationDocumentation {

    /** One message, from its first attempt to its last (retries included). */
    MESSAGE {
        @Override
        public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
            return DefaultSmtpMessageObservationConvention.class;
        }

        @Override
        public KeyName[] getLowCardinalityKeyNames() {
            return LowCardinalityKeys.values();
        }

        @Override
        public KeyName[] getHighCardinalityKeyNames() {
            return MessageHighCardinalityKeys.values();
        }
    },

    /** Opening one pooled connection: connect, greeting, EHLO, STARTTLS, AUTH, until the session is ready. */
    CONNECTION {
        @Override
        public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
            return DefaultSmtpConnectionObservationConvention.class;
        }

        @Override
        public KeyName[] getLowCardinalityKeyNames() {
            return LowCardinalityKeys.values();
        }
    };

    /** Tags of both observations; each has a small set of values. */
    public enum LowCardinalityKeys implements KeyName {
        /** Message: the first relay's {@code host:port}, or {@code mx}. Connection: the server's {@code host:port}. */
        DESTINATION {
            @Override
            public String asString() {
                return "smtp.destination";
            }
        },
        /**
         * Message: {@code delivered}, {@code partial}, {@code rejected}, {@code unknown} (the report's outcome),
         * {@code error} (no verdict) or {@code cancelled}. Connection: {@code ready}, {@code error} or
         * {@code cancelled}.
         */
        OUTCOME {
            @Override
            public String asString() {
                return "smtp.outcome";
            }
        },
        /**
         * The class of the reply that decided: {@code 2xx}, {@code 4xx}, {@code 5xx}, or {@code none} when no reply
         * decided (a timeout, a lost connection, a cancel).
         */
        REPLY_CLASS {
            @Override
            public String asString() {
                return "smtp.reply.class";
            }
        }
    }

    /** Message details, one value per message: spans only, never meter tags. */
    public enum MessageHighCardinalityKeys implements KeyName {
        /** The message's id ({@code OutgoingMessage.id()}). */
        MESSAGE_ID {
            @Override
            public String asString() {
                return "smtp.message.id";
            }
        },
        /** How many recipients the envelope has. */
        RECIPIENTS {
            @Override
            public String asString() {
                return "smtp.recipients";
            }
        }
    }
}
