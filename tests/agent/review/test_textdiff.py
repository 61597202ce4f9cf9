from agent.review import edit_rate, word_diff, word_edit_distance, words


def test_words_keep_punctuation_separate() -> None:
    assert words("The arm's gripper closes, then opens.") == [
        "The",
        "arm's",
        "gripper",
        "closes",
        ",",
        "then",
        "opens",
        ".",
    ]


def test_word_diff_marks_replacements() -> None:
    ops = word_diff("the robot picks the blue cube", "the robot picks the red cube")
    assert ops == [
        ("equal", "the robot picks the"),
        ("delete", "blue"),
        ("insert", "red"),
        ("equal", "cube"),
    ]


def test_edit_distance_and_rate() -> None:
    assert word_edit_distance("a b c", "a b c") == 0
    assert word_edit_distance("a b c", "a x c d") == 2
    assert edit_rate("a b c d", "a b c d") == 0.0
    assert edit_rate("a b c d", "a b x d") == 0.25
