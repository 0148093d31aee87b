package dev.sublinear.training.chat;

/** A chat template that cannot be parsed or rendered; the message names the template construct at fault. */
public class ChatTemplateException extends IllegalArgumentException {

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
