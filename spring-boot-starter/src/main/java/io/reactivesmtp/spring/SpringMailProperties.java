package io.reactivesmtp.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The standard {@code spring.mail.*} keys, as Spring Boot's own mail support reads them, so an application can move
 * from {@code JavaMailSender} without renaming its configuration. Bound here so that this starter does not need
 * Jakarta Mail on the class path.
 */
@ConfigurationProperties("spring.mail")
public class SpringMailProperties {

    /** SMTP server host, such as smtp.example.com. The SmtpClient bean is created only when it is set. */
    private String host;

    /** SMTP server port. Default: 465 with implicit TLS, 587 (submission) otherwise. */
    private Integer port;

    /** Login user of the SMTP server; with a password (or a TokenProvider bean) the client authenticates. */
    private String username;

    /** Login password of the SMTP server. */
    private String password;

    /** Protocol used by the SMTP server: smtp, or smtps for implicit TLS. */
    private String protocol = "smtp";

    /**
     * Additional JavaMail session properties. Understood: mail.smtp.ssl.enable, mail.smtp.starttls.enable,
     * mail.smtp.starttls.required, mail.smtp.auth, mail.smtp.connectiontimeout, mail.smtp.timeout,
     * mail.smtp.writetimeout (milliseconds) and mail.smtp.localhost; other keys are ignored with a warning.
     */
    private Map<String, String> properties = new LinkedHashMap<>();

    public String getHost() {
        return host;
    }

    public void setHost(String host) {
        this.host = host;
    }

    public Integer getPort() {
        return port;
    }

    public void setPort(Integer port) {
        this.port = port;
    }

    public String getUsername() {
        return username;
    }

    public void setUsername(String username) {
        this.username = username;
    }

    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    public String getProtocol() {
        return protocol;
    }

    public void setProtocol(String protocol) {
        this.protocol = protocol;
    }

    public Map<String, String> getProperties() {
        return properties;
    }

    public void setProperties(Map<String, String> properties) {
        this.properties = properties;
    }

    /** @return the host and port, never the password */
    @Override
    public String toString() {
        return "spring.mail[host=" + host + ", port=" + port + ", username=" + username + ", password="
                + (password == null ? "none" : "<redacted>") + "]";
    }
}
