package com.example.shop;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Places, prices and ships orders. Keeps everything in memory; persistence is someone else's problem.
 */
public class OrderService {

    public enum Status { NEW, PAID, SHIPPED, CANCELLED, REFUNDED }

    public record Line(String sku, int quantity, BigDecimal unitPrice) {
        public Line {
            Objects.requireNonNull(sku, "sku");
            if (quantity <= 0) {
                throw new IllegalArgumentException("quantity must be positive");
            }
        }

        public BigDecimal total() {
            return unitPrice.multiply(BigDecimal.valueOf(quantity));
        }
    }

    public static final class Order {
        private final String id;
        private final String customer;
        private final List<Line> lines = new ArrayList<>();
        private Status status = Status.NEW;
        private Instant updatedAt;

        Order(String id, String customer, Instant createdAt) {
            this.id = id;
            this.customer = customer;
            this.updatedAt = createdAt;
        }

        public String id() { return id; }

        public String customer() { return customer; }

        public Status status() { return status; }

        public List<Line> lines() { return Collections.unmodifiableList(lines); }

        public BigDecimal subtotal() {
            BigDecimal sum = BigDecimal.ZERO;
            for (Line line : lines) {
                sum = sum.add(line.total());
            }
            return sum;
        }
    }

    public static class OrderException extends RuntimeException {
        public OrderException(String message) {
            super(message);
        }
    }

    private final Map<String, Order> orders = new ConcurrentHashMap<>();
    private final Map<String, Integer> stock = new HashMap<>();
    private final Clock clock;
    private int sequence;

    public OrderService(Clock clock) {
        this.clock = clock;
    }

    public synchronized Order create(String customer, List<Line> lines) {
        if (customer == null || customer.isBlank()) {
            throw new OrderException("customer required");
        }
        if (lines.isEmpty()) {
            throw new OrderException("an order needs at least one line");
        }
        Order order = new Order(String.format("O-%06d", ++sequence), customer, clock.instant());
        for (Line line : lines) {
            int available = stock.getOrDefault(line.sku(), 0);
            if (available < line.quantity()) {
                throw new OrderException("not enough " + line.sku() + ": " + available + " left");
            }
        }
        for (Line line : lines) {
            stock.merge(line.sku(), -line.quantity(), Integer::sum);
            order.lines.add(line);
        }
        orders.put(order.id(), order);
        return order;
    }

    public void restock(String sku, int quantity) {
        if (quantity < 0) {
            throw new IllegalArgumentException("negative quantity");
        }
        stock.merge(sku, quantity, Integer::sum);
    }

    public BigDecimal price(Order order, String coupon, boolean member) {
        BigDecimal subtotal = order.subtotal();
        BigDecimal discount = BigDecimal.ZERO;
        if (coupon != null) {
            switch (coupon) {
                case "WELCOME10":
                    discount = subtotal.multiply(new BigDecimal("0.10"));
                    break;
                case "FREESHIP":
                    break;
                case "BULK":
                    int items = order.lines().stream().mapToInt(Line::quantity).sum();
                    if (items >= 10) {
                        discount = subtotal.multiply(new BigDecimal("0.15"));
                    }
                    break;
                default:
                    throw new OrderException("unknown coupon " + coupon);
            }
        }
        if (member && discount.signum() == 0) {
            discount = subtotal.multiply(new BigDecimal("0.05"));
        }
        BigDecimal shipping = "FREESHIP".equals(coupon) || subtotal.compareTo(new BigDecimal("50")) >= 0
                ? BigDecimal.ZERO
                : new BigDecimal("4.95");
        return subtotal.subtract(discount).add(shipping).setScale(2, RoundingMode.HALF_UP);
    }

    public Order transition(String id, Status target) {
        Order order = find(id).orElseThrow(() -> new OrderException("no order " + id));
        synchronized (order) {
            Status current = order.status;
            boolean allowed = switch (target) {
                case PAID -> current == Status.NEW;
                case SHIPPED -> current == Status.PAID;
                case CANCELLED -> current == Status.NEW || current == Status.PAID;
                case REFUNDED -> current == Status.SHIPPED || current == Status.CANCELLED;
                default -> false;
            };
            if (!allowed) {
                throw new OrderException(current + " -> " + target + " is not allowed");
            }
            if (target == Status.CANCELLED) {
                for (Line line : order.lines) {
                    stock.merge(line.sku(), line.quantity(), Integer::sum);
                }
            }
            order.status = target;
            order.updatedAt = clock.instant();
        }
        return order;
    }

    public Optional<Order> find(String id) {
        return Optional.ofNullable(orders.get(id));
    }

    public List<Order> search(String customer, Status status, int limit) {
        Predicate<Order> filter = order -> true;
        if (customer != null) {
            filter = filter.and(order -> order.customer().equalsIgnoreCase(customer));
        }
        if (status != null) {
            filter = filter.and(order -> order.status() == status);
        }
        return orders.values().stream()
                .filter(filter)
                .sorted((a, b) -> {
                    int byTime = b.updatedAt.compareTo(a.updatedAt);
                    return byTime != 0 ? byTime : a.id().compareTo(b.id());
                })
                .limit(limit > 0 ? limit : Long.MAX_VALUE)
                .collect(Collectors.toList());
    }

    public Map<Status, Long> countByStatus() {
        Map<Status, Long> counts = new HashMap<>();
        for (Order order : orders.values()) {
            counts.merge(order.status(), 1L, Long::sum);
        }
        return counts;
    }

    public String report() {
        StringBuilder out = new StringBuilder();
        List<Order> all = new ArrayList<>(orders.values());
        all.sort((a, b) -> a.id().compareTo(b.id()));
        outer:
        for (Order order : all) {
            for (Line line : order.lines()) {
                if (line.quantity() > 1000) {
                    out.append("suspicious order ").append(order.id()).append('\n');
                    continue outer;
                }
            }
            out.append(order.id()).append(' ').append(order.status()).append(' ').append(order.subtotal()).append('\n');
        }
        return out.toString();
    }

    static int levenshtein(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    public Optional<String> suggestSku(String typed) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String sku : stock.keySet()) {
            int distance = levenshtein(typed.toUpperCase(), sku.toUpperCase());
            if (distance < bestDistance || distance == bestDistance && best != null && sku.compareTo(best) < 0) {
                best = sku;
                bestDistance = distance;
            }
        }
        return bestDistance <= 2 ? Optional.ofNullable(best) : Optional.empty();
    }
}
