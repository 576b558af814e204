// A thread pool, an LRU cache template, a tokenizer and a small matrix class.
#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace util {

class ThreadPool {
public:
    explicit ThreadPool(std::size_t threads) : stopping_(false) {
        if (threads == 0) {
            threads = std::max(1u, std::thread::hardware_concurrency());
        }
        for (std::size_t i = 0; i < threads; ++i) {
            workers_.emplace_back([this] { run(); });
        }
    }

    ~ThreadPool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        for (auto& worker : workers_) {
            if (worker.joinable()) {
                worker.join();
            }
        }
    }

    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    template <typename F>
    auto submit(F&& task) -> std::future<decltype(task())> {
        using Result = decltype(task());
        auto packaged = std::make_shared<std::packaged_task<Result()>>(std::forward<F>(task));
        std::future<Result> future = packaged->get_future();
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) {
                throw std::runtime_error("submit on a stopped pool");
            }
            tasks_.emplace([packaged] { (*packaged)(); });
        }
        ready_.notify_one();
        return future;
    }

    std::size_t pending() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return tasks_.size();
    }

private:
    void run() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
                if (stopping_ && tasks_.empty()) {
                    return;
                }
                task = std::move(tasks_.front());
                tasks_.pop();
            }
            try {
                task();
            } catch (const std::exception& error) {
                last_error_ = error.what();
            } catch (...) {
                last_error_ = "unknown exception";
            }
        }
    }

    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::queue<std::function<void()>> tasks_;
    std::vector<std::thread> workers_;
    bool stopping_;
    std::string last_error_;
};

template <typename Key, typename Value>
class LruCache {
public:
    explicit LruCache(std::size_t capacity) : capacity_(capacity) {
        if (capacity_ == 0) {
            throw std::invalid_argument("capacity must be positive");
        }
    }

    std::optional<Value> get(const Key& key) {
        auto found = index_.find(key);
        if (found == index_.end()) {
            ++misses_;
            return std::nullopt;
        }
        order_.splice(order_.begin(), order_, found->second);
        ++hits_;
        return found->second->second;
    }

    void put(const Key& key, Value value) {
        auto found = index_.find(key);
        if (found != index_.end()) {
            found->second->second = std::move(value);
            order_.splice(order_.begin(), order_, found->second);
            return;
        }
        order_.emplace_front(key, std::move(value));
        index_[key] = order_.begin();
        if (index_.size() > capacity_) {
            index_.erase(order_.back().first);
            order_.pop_back();
        }
    }

    double hit_ratio() const {
        const auto total = hits_ + misses_;
        return total == 0 ? 0.0 : static_cast<double>(hits_) / total;
    }

private:
    using Entry = std::pair<Key, Value>;
    std::size_t capacity_;
    std::list<Entry> order_;
    std::unordered_map<Key, typename std::list<Entry>::iterator> index_;
    std::size_t hits_ = 0;
    std::size_t misses_ = 0;
};

enum class TokenKind { Number, Identifier, Operator, LeftParen, RightParen, End };

struct Token {
    TokenKind kind;
    std::string text;
    std::size_t position;
};

std::vector<Token> tokenize(const std::string& input) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < input.size()) {
        const char c = input[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
            const std::size_t start = i;
            while (i < input.size() && (std::isdigit(static_cast<unsigned char>(input[i])) || input[i] == '.')) {
                ++i;
            }
            tokens.push_back({TokenKind::Number, input.substr(start, i - start), start});
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            const std::size_t start = i;
            while (i < input.size() && (std::isalnum(static_cast<unsigned char>(input[i])) || input[i] == '_')) {
                ++i;
            }
            tokens.push_back({TokenKind::Identifier, input.substr(start, i - start), start});
        } else {
            TokenKind kind = TokenKind::Operator;
            switch (c) {
            case '(':
                kind = TokenKind::LeftParen;
                break;
            case ')':
                kind = TokenKind::RightParen;
                break;
            case '+':
            case '-':
            case '*':
            case '/':
                break;
            default:
                throw std::runtime_error("unexpected character at " + std::to_string(i));
            }
            tokens.push_back({kind, std::string(1, c), i});
            ++i;
        }
    }
    tokens.push_back({TokenKind::End, "", input.size()});
    return tokens;
}

}  // namespace util

namespace linalg {

class Matrix {
public:
    Matrix(std::size_t rows, std::size_t cols, double fill = 0.0)
        : rows_(rows), cols_(cols), data_(rows * cols, fill) {}

    static Matrix identity(std::size_t n) {
        Matrix m(n, n);
        for (std::size_t i = 0; i < n; ++i) {
            m(i, i) = 1.0;
        }
        return m;
    }

    double& operator()(std::size_t r, std::size_t c) { return data_[r * cols_ + c]; }
    double operator()(std::size_t r, std::size_t c) const { return data_[r * cols_ + c]; }

    Matrix operator*(const Matrix& other) const;

    bool operator==(const Matrix& other) const {
        if (rows_ != other.rows_ || cols_ != other.cols_) {
            return false;
        }
        for (std::size_t i = 0; i < data_.size(); ++i) {
            if (std::abs(data_[i] - other.data_[i]) > 1e-9) {
                return false;
            }
        }
        return true;
    }

    std::optional<Matrix> inverse() const;
    std::string str() const;

    std::size_t rows() const { return rows_; }
    std::size_t cols() const { return cols_; }

private:
    std::size_t rows_;
    std::size_t cols_;
    std::vector<double> data_;
};

Matrix Matrix::operator*(const Matrix& other) const {
    if (cols_ != other.rows_) {
        throw std::invalid_argument("shape mismatch");
    }
    Matrix out(rows_, other.cols_);
    for (std::size_t i = 0; i < rows_; ++i) {
        for (std::size_t k = 0; k < cols_; ++k) {
            const double a = (*this)(i, k);
            if (a == 0.0) {
                continue;
            }
            for (std::size_t j = 0; j < other.cols_; ++j) {
                out(i, j) += a * other(k, j);
            }
        }
    }
    return out;
}

std::optional<Matrix> Matrix::inverse() const {
    if (rows_ != cols_) {
        return std::nullopt;
    }
    const std::size_t n = rows_;
    Matrix work(*this);
    Matrix inv = identity(n);
    for (std::size_t col = 0; col < n; ++col) {
        std::size_t pivot = col;
        for (std::size_t r = col + 1; r < n; ++r) {
            if (std::abs(work(r, col)) > std::abs(work(pivot, col))) {
                pivot = r;
            }
        }
        if (std::abs(work(pivot, col)) < 1e-12) {
            return std::nullopt;
        }
        if (pivot != col) {
            for (std::size_t c = 0; c < n; ++c) {
                std::swap(work(pivot, c), work(col, c));
                std::swap(inv(pivot, c), inv(col, c));
            }
        }
        const double scale = work(col, col);
        for (std::size_t c = 0; c < n; ++c) {
            work(col, c) /= scale;
            inv(col, c) /= scale;
        }
        for (std::size_t r = 0; r < n; ++r) {
            if (r == col) {
                continue;
            }
            const double factor = work(r, col);
            for (std::size_t c = 0; c < n; ++c) {
                work(r, c) -= factor * work(col, c);
                inv(r, c) -= factor * inv(col, c);
            }
        }
    }
    return inv;
}

std::string Matrix::str() const {
    std::ostringstream out;
    for (std::size_t r = 0; r < rows_; ++r) {
        out << (r == 0 ? "[" : " ");
        for (std::size_t c = 0; c < cols_; ++c) {
            out << (*this)(r, c) << (c + 1 < cols_ ? ", " : "");
        }
        out << (r + 1 == rows_ ? "]" : "\n");
    }
    return out.str();
}

}  // namespace linalg

int main(int argc, char** argv) {
    util::ThreadPool pool(argc > 1 ? std::stoul(argv[1]) : 0);
    util::LruCache<std::string, int> cache(128);
    std::vector<std::future<int>> results;
    for (int i = 0; i < 16; ++i) {
        results.push_back(pool.submit([i] { return i * i; }));
    }
    int total = 0;
    for (auto& result : results) {
        total += result.get();
    }
    auto squares = [&cache](const std::string& key, int value) {
        if (!cache.get(key)) {
            cache.put(key, value);
        }
    };
    squares("total", total);
    auto tokens = util::tokenize("2 * (x + 1)");
    const auto identifiers = std::count_if(tokens.begin(), tokens.end(), [](const util::Token& t) {
        return t.kind == util::TokenKind::Identifier;
    });
    linalg::Matrix m = linalg::Matrix::identity(3);
    m(0, 2) = 2.0;
    auto inverse = m.inverse();
    return inverse && (m * *inverse == linalg::Matrix::identity(3)) && identifiers == 1 ? 0 : 1;
}
