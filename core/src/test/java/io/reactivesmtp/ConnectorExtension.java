package io.reactivesmtp;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The session tests' shared setup: before each test every {@code SmtpConnector} field of the test instance gets a
 * fresh connector (its own event loop), and after it the connector is closed (bounded), so no test leaks threads
 * or sessions into the next.
 *
 * <pre>{@code
 * @ExtendWith(ConnectorExtension.class)
 * class SmtpSessionTest {
 *     private SmtpConnector connector; // set by ConnectorExtension
 * }
 * }</pre>
 */
final class ConnectorExtension implements BeforeEachCallback, AfterEachCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ConnectorExtension.class);

    @Override
    public void beforeEach(ExtensionContext context) throws IllegalAccessException {
        List<SmtpConnector> created = new ArrayList<>();
        Object test = context.getRequiredTestInstance();
        for (Class<?> c = test.getClass(); c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.getType() == SmtpConnector.class) {
                    f.setAccessible(true);
                    SmtpConnector connector = SmtpConnector.create();
                    created.add(connector);
                    f.set(test, connector);
                }
            }
        }
        if (created.isEmpty()) {
            throw new IllegalStateException(test.getClass().getName()
                    + " uses ConnectorExtension but has no SmtpConnector field");
        }
        context.getStore(NAMESPACE).put("connectors", created);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        @SuppressWarnings("unchecked")
        List<SmtpConnector> created = context.getStore(NAMESPACE).remove("connectors", List.class);
        if (created != null) {
            created.forEach(SmtpConnector::close);
        }
    }
}
