package dev.sublinear.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.regex.Pattern;
import org.springframework.security.web.firewall.FirewalledRequest;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.StrictHttpFirewall;

/**
 * Spring Security's strict firewall (no path parameters such as {@code ;x}, no encoded '/', '\',
 * '.' or '%', no '..' or '//' segments), and also no percent-encoded letter, digit or {@code -_~}:
 * those never need encoding, so {@code /%76%31/admin} is an attempt to make one path look like
 * another. Characters that do need encoding ({@code %3A} in a model id, non-ASCII) still pass.
 */
final class PathFirewall implements HttpFirewall {

    private static final Pattern ENCODED_UNRESERVED =
            Pattern.compile("%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[Dd]|5[Ff]|7[Ee])");

    private final StrictHttpFirewall strict = new StrictHttpFirewall();

    @Override
    public FirewalledRequest getFirewalledRequest(HttpServletRequest request) {
        String uri = request.getRequestURI();
        if (uri != null && ENCODED_UNRESERVED.matcher(uri).find()) {
            throw new RequestRejectedException("it percent-encodes a letter, digit or '-', '_', '~'");
        }
        return strict.getFirewalledRequest(request);
    }

    @Override
    public HttpServletResponse getFirewalledResponse(HttpServletResponse response) {
        return strict.getFirewalledResponse(response);
    }
}
