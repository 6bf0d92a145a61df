package io.kwait.tests;

import java.text.MessageFormat;
import java.util.ResourceBundle;

/**
 * The test JVM's {@link System.LoggerFinder} (registered in META-INF/services): a record kwait
 * logs at WARNING or above with an exception attached, or at ERROR, means kwait caught something
 * that went wrong; {@link UncaughtCheck} fails the test that caused it. Every record is passed on
 * to java.util.logging, as the JDK's default finder would.
 */
public final class RecordingLoggerFinder extends System.LoggerFinder {
    @Override
    public System.Logger getLogger(String name, Module module) {
        return new Recording(name);
    }

    private static final class Recording implements System.Logger {
        private final String name;
        private final java.util.logging.Logger jul;

        Recording(String name) {
            this.name = name;
            this.jul = java.util.logging.Logger.getLogger(name);
        }

        @Override public String getName() { return name; }

        @Override
        public boolean isLoggable(Level level) {
            return (isKwait() && level.getSeverity() >= Level.WARNING.getSeverity()) || jul.isLoggable(jul(level));
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            note(level, msg, thrown);
            if (jul.isLoggable(jul(level))) jul.log(jul(level), msg, thrown);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            String msg = params == null || params.length == 0 ? format : MessageFormat.format(format, params);
            note(level, msg, null);
            if (jul.isLoggable(jul(level))) jul.log(jul(level), msg);
        }

        private boolean isKwait() { return name.equals("io.kwait") || name.startsWith("io.kwait."); }

        private void note(Level level, String msg, Throwable thrown) {
            if (!isKwait()) return;
            boolean bad = level == Level.ERROR || (level.getSeverity() >= Level.WARNING.getSeverity() && thrown != null);
            if (bad) {
                UncaughtCheck.record(Thread.currentThread().getName(),
                        new AssertionError("kwait logged " + level + " on " + name + ": " + msg, thrown));
            }
        }

        private static java.util.logging.Level jul(Level l) {
            return switch (l) {
                case ALL -> java.util.logging.Level.ALL;
                case TRACE -> java.util.logging.Level.FINER;
                case DEBUG -> java.util.logging.Level.FINE;
                case INFO -> java.util.logging.Level.INFO;
                case WARNING -> java.util.logging.Level.WARNING;
                case ERROR -> java.util.logging.Level.SEVERE;
                case OFF -> java.util.logging.Level.OFF;
            };
        }
    }
}
