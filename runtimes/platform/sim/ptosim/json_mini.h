// json_mini.h - just enough JSON to read an AICPU op description: objects, arrays, strings (with the
// common escapes), numbers, true/false/null. Values are kept as text except objects and strings.
#pragma once

#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <string>

namespace ptosim {

struct JsonValue {
    enum Kind { NUL, BOOL, NUMBER, STRING, ARRAY, OBJECT } kind = NUL;
    std::string text;                                          // STRING contents, or NUMBER/BOOL spelling
    std::map<std::string, std::shared_ptr<JsonValue>> object;  // OBJECT members (last one wins)
    std::size_t array_size = 0;                                // ARRAY: elements are parsed, not kept

    const JsonValue *member(const std::string &key) const {
        auto it = object.find(key);
        return it == object.end() ? nullptr : it->second.get();
    }
    // The string member `key`, or "" when absent or not a string.
    std::string string_member(const std::string &key) const {
        const JsonValue *v = member(key);
        return v != nullptr && v->kind == STRING ? v->text : std::string();
    }
};

class JsonParser {
  public:
    explicit JsonParser(const std::string &text) : s_(text) {}

    // Parses the whole text as one value; false (with a reason) on any syntax error.
    bool parse(JsonValue &out, std::string &why) {
        if (!value(out, 0)) {
            why = why_ + " at offset " + std::to_string(pos_);
            return false;
        }
        skip_ws();
        if (pos_ != s_.size()) {
            why = "trailing characters at offset " + std::to_string(pos_);
            return false;
        }
        return true;
    }

  private:
    const std::string &s_;
    std::size_t pos_ = 0;
    std::string why_;

    bool fail(const char *reason) {
        why_ = reason;
        return false;
    }
    void skip_ws() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    bool literal(const char *word) {
        const std::string w(word);
        if (s_.compare(pos_, w.size(), w) != 0) return fail("unknown literal");
        pos_ += w.size();
        return true;
    }
    bool string(std::string &out) {
        if (s_[pos_] != '"') return fail("expected a string");
        ++pos_;
        while (pos_ < s_.size() && s_[pos_] != '"') {
            char c = s_[pos_++];
            if (c == '\\') {
                if (pos_ >= s_.size()) return fail("unterminated escape");
                char e = s_[pos_++];
                switch (e) {
                    case 'n': c = '\n'; break;
                    case 't': c = '\t'; break;
                    case 'r': c = '\r'; break;
                    case 'b': c = '\b'; break;
                    case 'f': c = '\f'; break;
                    case 'u':
                        // Op descriptions are ASCII; a \u escape is kept as '?' rather than decoded.
                        if (pos_ + 4 > s_.size()) return fail("short \\u escape");
                        pos_ += 4;
                        c = '?';
                        break;
                    default: c = e; break;  // \" \\ \/
                }
            }
            out.push_back(c);
        }
        if (pos_ >= s_.size()) return fail("unterminated string");
        ++pos_;
        return true;
    }
    bool value(JsonValue &out, int depth) {
        if (depth > 64) return fail("nesting too deep");
        skip_ws();
        if (pos_ >= s_.size()) return fail("unexpected end");
        const char c = s_[pos_];
        if (c == '{') {
            out.kind = JsonValue::OBJECT;
            ++pos_;
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, true;
            for (;;) {
                skip_ws();
                std::string key;
                if (pos_ >= s_.size() || !string(key)) return fail("expected a member name");
                skip_ws();
                if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':'");
                ++pos_;
                auto member = std::make_shared<JsonValue>();
                if (!value(*member, depth + 1)) return false;
                out.object[key] = member;
                skip_ws();
                if (pos_ < s_.size() && s_[pos_] == ',') {
                    ++pos_;
                    continue;
                }
                if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, true;
                return fail("expected ',' or '}'");
            }
        }
        if (c == '[') {
            out.kind = JsonValue::ARRAY;
            ++pos_;
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, true;
            for (;;) {
                JsonValue element;
                if (!value(element, depth + 1)) return false;
                ++out.array_size;
                skip_ws();
                if (pos_ < s_.size() && s_[pos_] == ',') {
                    ++pos_;
                    continue;
                }
                if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, true;
                return fail("expected ',' or ']'");
            }
        }
        if (c == '"') {
            out.kind = JsonValue::STRING;
            return string(out.text);
        }
        if (c == 't' || c == 'f') {
            out.kind = JsonValue::BOOL;
            out.text = c == 't' ? "true" : "false";
            return literal(c == 't' ? "true" : "false");
        }
        if (c == 'n') return literal("null");
        if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
            out.kind = JsonValue::NUMBER;
            const std::size_t start = pos_;
            while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || std::strchr("+-.eE", s_[pos_]) != nullptr))
                ++pos_;
            out.text = s_.substr(start, pos_ - start);
            return true;
        }
        return fail("unexpected character");
    }
};

}  // namespace ptosim
