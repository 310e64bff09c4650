# Черновики деклараций (раздел участника ВЭД и брокера, /trader/drafts).

drafts-title = Черновики
drafts-lead = Декларации, сохранённые незаконченными из формы подачи, как они были введены (они не проверяются). Их видят все пользователи вашей организации.
drafts-none = Черновиков нет.
drafts-caption = Черновики, последние сохранённые первыми
drafts-shown = ({ $range } из { $total })
drafts-col-name = Название (LRN)
drafts-col-by = Кто создал
drafts-col-created = Создан
drafts-col-saved = Сохранён
drafts-pages = Страницы черновиков
drafts-prev = Предыдущая страница
drafts-next = Следующая страница
drafts-untitled = без названия
drafts-save = Сохранить черновик
drafts-delete = Удалить черновик
drafts-form-title = Подача декларации из черновика
drafts-note = Черновик «{ $name }», сохранён { $saved }
drafts-by = создал { $user }
