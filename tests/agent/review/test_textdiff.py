from agent.review import edit_rate, spaced_diff, word_diff, word_edit_distance, words


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


def test_a_diff_on_one_line_puts_no_space_before_punctuation() -> None:
    a = "The robot grasps the puck and puts it down."
    b = "The robot grasps the puck but drops it down, and the task fails."
    steps = spaced_diff(a, b)
    line = "".join((" " if space else "") + chunk for _, chunk, space in steps)
    assert line == "The robot grasps the puck and puts but drops it down, and the task fails."
    assert [(op, chunk) for op, chunk, _ in steps] == word_diff(a, b)
    assert steps[0][2] is False  # nothing before the first step
