/*
 * The staff login page's words in Chinese and English (shape:
 * assets/README.md), shown side by side like every staff page.
 */
QB.text.define("login", {
  zh: {
    wrong: "用户名或密码错误",
    limited: "尝试次数过多，请一分钟后再试",
    missing: "请输入用户名和密码",
    offline: "无法连接，请检查网络",
    failed: "登录失败：{why}",
    busy: "正在登录…",
    submit: "登录"
  },
  en: {
    wrong: "Wrong username or password",
    limited: "Too many attempts — wait a minute and try again",
    missing: "Enter your username and password",
    offline: "The box cannot be reached — check the network",
    failed: "Login failed: {why}",
    busy: "Logging in…",
    submit: "Log in"
  }
});
