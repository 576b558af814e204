package com.example.json;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A small streaming JSON parser producing maps, lists, strings, numbers, booleans and null. */
public final class JsonReader implements AutoCloseable {

    public static final class JsonException extends IOException {
        JsonException(String message, int line, int column) {
            super(message + " at " + line + ":" + column);
        }
    }

    private final Reader reader;
    private int peeked = -2;
    private int line = 1;
    private int column;
    private int depth;
    private final int maxDepth;

    public JsonReader(Reader reader) {
        this(reader, 512);
    }

    public JsonReader(Reader reader, int maxDepth) {
        this.reader = reader;
        this.maxDepth = maxDepth;
    }

    private int peek() throws IOException {
        if (peeked == -2) {
            peeked = reader.read();
        }
        return peeked;
    }

    private int next() throws IOException {
        int c = peek();
        peeked = -2;
        if (c == '\n') {
            line++;
            column = 0;
        } else {
            column++;
        }
        return c;
    }

    private JsonException error(String message) {
        return new JsonException(message, line, column);
    }

    private int skipWhitespace() throws IOException {
        int c = peek();
        while (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            next();
            c = peek();
        }
        return c;
    }

    private void expect(char expected) throws IOException {
        int c = next();
        if (c != expected) {
            throw error("expected '" + expected + "' but found " + describe(c));
        }
    }

    private static String describe(int c) {
        return c < 0 ? "end of input" : "'" + (char) c + "'";
    }

    public Object readValue() throws IOException {
        int c = skipWhitespace();
        switch (c) {
            case '{':
                return readObject();
            case '[':
                return readArray();
            case '"':
                return readString();
            case 't':
                readLiteral("true");
                return Boolean.TRUE;
            case 'f':
                readLiteral("false");
                return Boolean.FALSE;
            case 'n':
                readLiteral("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return readNumber();
                }
                throw error("unexpected " + describe(c));
        }
    }

    private void enter() throws JsonException {
        if (++depth > maxDepth) {
            throw error("nesting deeper than " + maxDepth);
        }
    }

    private Map<String, Object> readObject() throws IOException {
        enter();
        expect('{');
        Map<String, Object> result = new LinkedHashMap<>();
        if (skipWhitespace() == '}') {
            next();
            depth--;
            return result;
        }
        while (true) {
            if (skipWhitespace() != '"') {
                throw error("expected a key");
            }
            String key = readString();
            skipWhitespace();
            expect(':');
            Object value = readValue();
            if (result.put(key, value) != null) {
                throw error("duplicate key " + key);
            }
            int c = skipWhitespace();
            if (c == ',') {
                next();
            } else if (c == '}') {
                next();
                break;
            } else {
                throw error("expected ',' or '}' but found " + describe(c));
            }
        }
        depth--;
        return result;
    }

    private List<Object> readArray() throws IOException {
        enter();
        expect('[');
        List<Object> result = new ArrayList<>();
        if (skipWhitespace() == ']') {
            next();
            depth--;
            return result;
        }
        do {
            result.add(readValue());
            int c = skipWhitespace();
            if (c == ']') {
                next();
                break;
            }
            if (c != ',') {
                throw error("expected ',' or ']' but found " + describe(c));
            }
            next();
        } while (true);
        depth--;
        return result;
    }

    private String readString() throws IOException {
        expect('"');
        StringBuilder out = new StringBuilder();
        for (;;) {
            int c = next();
            if (c < 0) {
                throw error("unterminated string");
            } else if (c == '"') {
                return out.toString();
            } else if (c == '\\') {
                int escaped = next();
                switch (escaped) {
                    case '"': case '\\': case '/':
                        out.append((char) escaped);
                        break;
                    case 'b': out.append('\b'); break;
                    case 'f': out.append('\f'); break;
                    case 'n': out.append('\n'); break;
                    case 'r': out.append('\r'); break;
                    case 't': out.append('\t'); break;
                    case 'u':
                        int code = 0;
                        for (int i = 0; i < 4; i++) {
                            int digit = Character.digit(next(), 16);
                            if (digit < 0) {
                                throw error("bad unicode escape");
                            }
                            code = code * 16 + digit;
                        }
                        out.append((char) code);
                        break;
                    default:
                        throw error("bad escape " + describe(escaped));
                }
            } else if (c < 0x20) {
                throw error("control character in string");
            } else {
                out.append((char) c);
            }
        }
    }

    private Number readNumber() throws IOException {
        StringBuilder text = new StringBuilder();
        boolean decimal = false;
        int c = peek();
        while (c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || (c >= '0' && c <= '9')) {
            if (c == '.' || c == 'e' || c == 'E') {
                decimal = true;
            }
            text.append((char) next());
            c = peek();
        }
        try {
            if (decimal) {
                return Double.parseDouble(text.toString());
            }
            long value = Long.parseLong(text.toString());
            return value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE ? (Number) (int) value : (Number) value;
        } catch (NumberFormatException e) {
            throw error("bad number " + text);
        }
    }

    private void readLiteral(String literal) throws IOException {
        for (int i = 0; i < literal.length(); i++) {
            if (next() != literal.charAt(i)) {
                throw error("expected " + literal);
            }
        }
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
